package main

import (
	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/pipeline"
)

func init() { addCommand(newCollectCmd) }

func newCollectCmd() *cobra.Command {
	var (
		sf     scanFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "collect [flags]",
		Short: "Gather the documents the bundles ask for, as JSON, without judging them",
		Long: `Collect runs the collect blocks of the bundles against the target and writes
every document as JSON: what policy authors look at while writing Rego, and
what 'assay eval --documents' judges later or elsewhere (a fleet's documents
evaluated together, for cross-host policies).`,
		Example: `  assay collect -b ./my-bundle > host1.json
  assay collect --root /mnt/rootfs -o rootfs.json
  assay eval -b ./my-bundle --documents host1.json host2.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutputFile(output); err != nil {
				return usageError(err)
			}
			ctx := cmd.Context()
			s, err := sf.newScanner(ctx, logger(cmd), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer s.Close()
			p := s.Pipeline()
			col := p.Collect(ctx)
			if err := ctx.Err(); err != nil {
				return scanError(err)
			}
			file := pipeline.NewDocumentsFile(tool(), p.Target.Info(), col)
			if err := writeJSON(output, cmd.OutOrStdout(), file); err != nil {
				return scanError(err)
			}
			return nil
		},
	}
	sf.register(cmd.Flags())
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the documents to `FILE` (atomically) instead of stdout")
	return cmd
}
