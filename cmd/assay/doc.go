package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/bundle/reference"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/internal/safefile"
	"github.com/assay-dev/assay/pipeline"
)

func (c *cli) docCmd() *cobra.Command {
	var (
		bundles []string
		outDir  string
	)
	cmd := &cobra.Command{
		Use:   "doc [-b BUNDLE]... [-o DIR] [BUNDLE]...",
		Short: "Write the Markdown reference of bundles: every policy and what it reads",
		Long: `Doc loads the bundles as a scan would and writes the Markdown reference of
each: its collectors and data, and every policy with its title, description,
severity, enforcement, controls, remediation, parameters and the document
kinds it reads, as METADATA and the HCL set them. Bundles are given with -b
or as arguments; with none, the built-in bundles are documented.

With -o DIR each bundle's page is written to DIR/NAME.md (replacing the file,
never following a link there); without it, the pages go to stdout. The page
depends only on the bundle, so CI can check that a committed reference is
current: regenerate it and diff.`,
		Example: `  assay doc -b ./my-bundle > my-bundle.md
  assay doc -b policies/ssh-baseline -o docs/policies`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			env := c.env(cmd)
			bs, err := env.LoadBundles(ctx, append(append([]string(nil), bundles...), args...), pipeline.FetchOptions{})
			if err != nil {
				return err
			}
			if outDir == "" {
				for i, b := range bs {
					if i > 0 {
						fmt.Fprintln(cmd.OutOrStdout())
					}
					if err := reference.Write(cmd.OutOrStdout(), b); err != nil {
						return exitcode.ScanError(fmt.Errorf("write reference: %w", err))
					}
				}
				return nil
			}
			d, err := safefile.OpenDir(outDir)
			if err != nil {
				return exitcode.UsageError(fmt.Errorf("-o %s: %w", outDir, err))
			}
			defer d.Close()
			for _, b := range bs {
				name := reference.FileName(b)
				if err := d.Write(name, 0o644, func(w io.Writer) error { return reference.Write(w, b) }); err != nil {
					return exitcode.ScanError(fmt.Errorf("write %s: %w", name, err))
				}
				fmt.Fprintln(cmd.ErrOrStderr(), "wrote", outDir+"/"+name)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&bundles, "bundle", "b", nil, "bundle to document: a directory, a .tar.gz, an https:// URL or an oci://REF (repeatable; also taken as arguments)")
	cmd.Flags().StringVarP(&outDir, "output", "o", "", "write each bundle's page to `DIR`/NAME.md instead of stdout")
	return cmd
}
