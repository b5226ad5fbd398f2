package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/bundle/format"
	"github.com/assay-dev/assay/core/exitcode"
)

func fmtCmd() *cobra.Command {
	var (
		bundles     []string
		check, diff bool
	)
	cmd := &cobra.Command{
		Use:   "fmt [--check] [--diff] [-b BUNDLE]... [BUNDLE|FILE]...",
		Short: "Rewrite bundle HCL and Rego in canonical format",
		Long: `fmt lays out the .hcl and .rego files of bundles canonically: HCL as
terraform fmt does, Rego as opa fmt does, including the Rego written inline
in policy heredocs. Bundles are given with -b or as arguments, files as
arguments; directories are walked (hidden ones skipped); with neither, the
current directory is formatted.

Files are rewritten in place and their names printed. --check and --diff
write nothing, as gofmt -l and -d: --check lists the unformatted files and
exits 1 if there are any, for CI; --diff prints what would change as a
unified diff (and exits 1 with --check). A file that does not parse is
reported with its line and makes fmt exit 2.`,
		Example: `  assay fmt policies/
  assay fmt --diff -b my-bundle          # show, write nothing
  assay fmt --check --diff my-bundle/    # CI: show and fail`,
		RunE: func(cmd *cobra.Command, args []string) error {
			args = append(append([]string(nil), bundles...), args...)
			if len(args) == 0 {
				args = []string{"."}
			}
			files, err := format.Files(args)
			if err != nil {
				return exitcode.UsageError(fmt.Errorf("fmt: %w", err))
			}
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			var failed, unformatted bool
			for _, name := range files {
				changed, err := fmtFile(name, check, diff, stdout)
				if err != nil {
					failed = true
					printFmtError(stderr, name, err)
					continue
				}
				if changed {
					unformatted = true
				}
			}
			switch {
			case failed:
				return exitcode.Silent(exitcode.Usage)
			case check && unformatted:
				return exitcode.Silent(exitcode.Violations)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&bundles, "bundle", "b", nil, "bundle `DIR` to format (repeatable; also taken as arguments)")
	cmd.Flags().BoolVar(&check, "check", false, "write nothing; list unformatted files and exit 1 if there are any")
	cmd.Flags().BoolVar(&diff, "diff", false, "write nothing; print a unified diff of each change")
	return cmd
}

// fmtFile formats one file, reporting whether it was not formatted. It
// writes only when neither check nor diff is set.
func fmtFile(name string, check, diff bool, stdout io.Writer) (bool, error) {
	src, out, err := format.Path(name)
	if err != nil {
		return false, err
	}
	if bytes.Equal(src, out) {
		return false, nil
	}
	if check || !diff {
		fmt.Fprintln(stdout, name)
	}
	if diff {
		if _, err := stdout.Write(format.Diff(name, src, out)); err != nil {
			return true, err
		}
	}
	if !check && !diff {
		if err := format.Rewrite(name, out); err != nil {
			return true, err
		}
	}
	return true, nil
}

// printFmtError shows HCL diagnostics with their snippet and other errors
// (Rego, I/O) as they are; both name the file and line.
func printFmtError(w io.Writer, name string, err error) {
	var diags hcl.Diagnostics
	if errors.As(err, &diags) {
		files := map[string]*hcl.File{}
		if src, err := os.ReadFile(name); err == nil {
			files[name] = &hcl.File{Bytes: src}
		}
		renderDiagnostics(w, diags, files)
		return
	}
	fmt.Fprintf(w, "assay: fmt: %s: %v\n", name, err)
}
