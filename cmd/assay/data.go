package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/bundle"

	"github.com/assay-dev/assay/bundle/datasource"
)

func init() { addCommand(newDataCmd) }

func newDataCmd() *cobra.Command {
	var (
		bundles []string
		output  string
	)
	cmd := &cobra.Command{
		Use:   "data [NAME]... [flags]",
		Short: "Show the data the bundles' data sources and data files give policies",
		Long: `Data loads the bundles, fetches their data sources (data "ldap", data "http",
data "file") and data files, and writes the data document policies read, as
JSON: one key per data NAME (data.NAME in Rego), or only the NAMEs given.
It is what a policy author looks at while writing Rego against a directory.

Nothing is collected from the target and no policy runs. Passwords and
tokens never appear: they are read from the environment or a file only to
connect, and password attributes (userPassword, …) are never fetched. A
summary of every fetch (source, entries, time) goes to stderr.

A data source that cannot be fetched (directory down, credentials refused)
ends with exit code 3; a mistake in the bundle with exit code 2.`,
		Example: `  ASSAY_LDAP_PASSWORD=… assay data -b examples/ldap
  assay data -b ./my-bundle directory -o directory.json`,
		RunE: func(cmd *cobra.Command, names []string) error {
			if err := checkOutputFile(output); err != nil {
				return usageError(err)
			}
			ctx := cmd.Context()
			bs, err := loadBundles(ctx, bundles, nil, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			doc := map[string]any{}
			for _, b := range bs {
				for k, v := range b.Data {
					doc[k] = v
				}
			}
			var diags hcl.Diagnostics
			for _, f := range bundle.Fetch(ctx, bs) {
				diags = append(diags, f.Diags...)
				if !f.Failed() {
					doc[f.Name] = f.Value
				}
			}
			if len(diags) > 0 {
				renderDiagnostics(cmd.ErrOrStderr(), diags, bundleFilesOf(bs))
			}
			if diags.HasErrors() {
				if datasource.IsUnavailable(diags) {
					return &exitError{code: 3, err: errors.New("a data source could not be fetched (see above)"), silent: true}
				}
				return &exitError{code: 2, err: errors.New("the bundles have errors (see above)"), silent: true}
			}
			if len(names) > 0 {
				picked := make(map[string]any, len(names))
				for _, n := range names {
					v, ok := doc[n]
					if !ok {
						return usageError(fmt.Errorf("no bundle defines data.%s (defined: %s)", n, strings.Join(sortedKeys(doc), ", ")))
					}
					picked[n] = v
				}
				doc = picked
			}
			summarize(cmd.ErrOrStderr())
			if err := writeJSON(output, cmd.OutOrStdout(), doc); err != nil {
				return scanError(err)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&bundles, "bundle", "b", nil, "policy bundle: a directory or a .tar.gz (repeatable; default: the built-in bundles)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the data to `FILE` (atomically) instead of stdout")
	return cmd
}

// summarize prints one line per fetched data source: what policy authors
// want to know first (did it answer, how much, how fast).
func summarize(w io.Writer) {
	for _, s := range datasource.Statuses() {
		fmt.Fprintf(w, "data %s %s: %d entries in %s\n", s.Kind, s.Source, s.Entries, s.Duration.Round(1e6))
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
