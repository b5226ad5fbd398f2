package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/bundle/mig"
	"github.com/assay-dev/assay/core/exitcode"
)

func migCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mig",
		Short: "Move Mozilla MIG investigations to assay",
	}
	cmd.AddCommand(migImportCmd())
	return cmd
}

func migImportCmd() *cobra.Command {
	var out, name, shape string
	cmd := &cobra.Command{
		Use:   "import INVESTIGATION.json",
		Short: "Convert a MIG action (file-module searches) into an HCL bundle",
		Long: `Convert a MIG action (syntax version 2) into an assay bundle: one
collect "file" block and one policy per file-module search, all judged by one
generated Rego module that reports each file a search matches at the line that
decided it.

An investigation of many searches that differ only in their paths, content
allow-lists and maxdepth (one per user's ~/.ssh) is written compact: a few
collect blocks over all their paths, one policy, and data files listing each
search's allow-list. It reports the same findings, loads in a fraction of the
time and memory, and names each search in its messages. --shape per-search
keeps one block and one policy per search; searches that differ in other
ways always get them.

MIG features without an equivalent are listed on stderr.`,
		Example: "  assay mig import examples/mig/authorized_keys.json -o ak-bundle\n  assay scan -b ak-bundle",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := mig.Import(args[0], out, name, mig.Shape(shape))
			if err != nil {
				return exitcode.UsageError(err)
			}
			for _, n := range b.Notes {
				fmt.Fprintln(cmd.ErrOrStderr(), "note: "+n)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote bundle %q to %s (%d files)\n", b.Name, b.Dir, len(b.Files))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "bundle `DIR` to create (default: the investigation's base name)")
	cmd.Flags().StringVar(&name, "name", "", "bundle name (default: the investigation's base name)")
	cmd.Flags().StringVar(&shape, "shape", string(mig.Auto), "bundle `SHAPE`: auto (compact from 100 searches that fit it), compact (every search that fits), per-search")
	return cmd
}
