package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/exitcode"
)

// noBundleArgs is the Args check of the commands that take bundles only
// with -b (scan, collect, serve): a positional argument that names a
// bundle gets the command line that was meant, not cobra's "unknown
// command".
func noBundleArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if hint := bundleHint(cmd, args); hint != "" {
		return exitcode.UsageError(fmt.Errorf("%s takes bundles with -b, not as arguments: did you mean '%s'?", cmd.CommandPath(), hint))
	}
	return cobra.NoArgs(cmd, args)
}

// bundleHint returns the command line with each argument that looks like a
// bundle given with -b, or "" when one of them does not look like one.
func bundleHint(cmd *cobra.Command, args []string) string {
	parts := []string{cmd.CommandPath()}
	for _, a := range args {
		if !looksLikeBundle(a) {
			return ""
		}
		parts = append(parts, "-b", a)
	}
	return strings.Join(parts, " ")
}

// looksLikeBundle says whether a command-line word names a bundle source:
// a path that exists, a path-like word (./x, ../x, /x, ~/x, a/b), an
// archive, or a bundle URL.
func looksLikeBundle(s string) bool {
	if s == "" || strings.HasPrefix(s, "-") {
		return false
	}
	for _, p := range []string{"https://", "http://", "oci://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	if strings.HasSuffix(s, ".tar.gz") || strings.HasSuffix(s, ".tgz") {
		return true
	}
	if _, err := os.Stat(s); err == nil {
		return true
	}
	return strings.HasPrefix(s, ".") || strings.HasPrefix(s, "~") || strings.ContainsRune(s, filepath.Separator)
}

// isBundleDir says whether dir is a directory holding a bundle: HCL or
// Rego files at its top.
func isBundleDir(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); ext == ".hcl" || ext == ".rego" {
			return true
		}
	}
	return false
}
