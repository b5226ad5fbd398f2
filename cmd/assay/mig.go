package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/bundle/mig"
)

func init() { addCommand(newMigCmd) }

func newMigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mig",
		Short: "Move Mozilla MIG investigations to assay",
	}
	cmd.AddCommand(newMigImportCmd())
	return cmd
}

func newMigImportCmd() *cobra.Command {
	var out, name string
	cmd := &cobra.Command{
		Use:   "import INVESTIGATION.json",
		Short: "Convert a MIG action (file-module searches) into an HCL bundle",
		Long: `Convert a MIG action (syntax version 2) into an assay bundle: one
collect "file" block and one policy per file-module search, all judged by one
generated Rego module that reports each file a search matches at the line that
decided it.

MIG features without an equivalent are listed on stderr.`,
		Example: "  assay mig import examples/mig/authorized_keys.json -o ak-bundle\n  assay scan -b ak-bundle",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := args[0]
			data, err := os.ReadFile(src)
			if err != nil {
				return usageError(fmt.Errorf("mig import: %w", err))
			}
			base := strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))
			if name == "" {
				name = base
			}
			if out == "" {
				out = base
			}
			b, err := mig.Convert(data, name)
			if err != nil {
				return usageError(fmt.Errorf("mig import %s: %w", src, err))
			}
			if err := b.WriteDir(out); err != nil {
				return usageError(fmt.Errorf("mig import: %w", err))
			}
			for _, n := range b.Notes {
				fmt.Fprintln(cmd.ErrOrStderr(), "note: "+n)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote bundle %q to %s (%d files)\n", name, out, len(b.Files))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "bundle `DIR` to create (default: the investigation's base name)")
	cmd.Flags().StringVar(&name, "name", "", "bundle name (default: the investigation's base name)")
	return cmd
}
