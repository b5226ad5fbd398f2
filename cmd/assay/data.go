package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/pipeline"
)

func (c *cli) dataCmd() *cobra.Command {
	var (
		bundles []string
		output  string
		secrets secretFlags
	)
	cmd := &cobra.Command{
		Use:   "data [NAME]... [flags]",
		Short: "Show the data the bundles' data sources and data files give policies",
		Long: `Data loads the bundles, fetches their data sources (data "ldap", data "http",
data "file") and data files, and writes the data document policies read, as
JSON: one key per data NAME (data.NAME in Rego), or only the NAMEs given.
It is what a policy author looks at while writing Rego against a directory.

Nothing is collected from the target and no policy runs. Passwords and
tokens never appear: they are read from an environment variable or a file
that the operator allows (--allow-env, --allow-secret-file) only to
connect, their values are redacted from the output, and password
attributes (userPassword, …) are never fetched. A summary of every fetch
(source, entries, time) goes to stderr.

A data source that cannot be fetched (directory down, credentials refused)
ends with exit code 3; a mistake in the bundle, or a secret the operator
did not allow, with exit code 2.`,
		Example: `  ASSAY_LDAP_PASSWORD=… assay data --allow-env ASSAY_LDAP_PASSWORD -b examples/ldap
  assay data -b ./my-bundle directory -o directory.json`,
		RunE: func(cmd *cobra.Command, names []string) error {
			if err := pipeline.CheckOutputFile(output); err != nil {
				return exitcode.UsageError(err)
			}
			ctx := cmd.Context()
			env := c.env(cmd)
			if err := secrets.apply(env); err != nil {
				return err
			}
			bs, err := env.LoadBundles(ctx, bundles, pipeline.FetchOptions{})
			if err != nil {
				return err
			}
			doc, fetches, err := env.DataDocument(ctx, bs, names)
			if err != nil {
				return err
			}
			summarize(cmd.ErrOrStderr(), fetches)
			if err := pipeline.WriteJSON(output, cmd.OutOrStdout(), doc); err != nil {
				return exitcode.ScanError(err)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&bundles, "bundle", "b", nil, "policy bundle: a directory or a .tar.gz (repeatable; default: the built-in bundles)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the data to `FILE` (atomically) instead of stdout")
	secrets.register(cmd.Flags())
	return cmd
}

// summarize prints one line per fetched data source: what policy authors
// want to know first (did it answer, how much, how fast).
func summarize(w io.Writer, fetches []pipeline.DataFetch) {
	for _, f := range fetches {
		fmt.Fprintf(w, "data %s %s: %d entries in %s\n", f.Kind, f.Source, f.Entries, f.Duration.Round(1e6))
	}
}
