package main

import (
	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/pipeline"
)

func (c *cli) collectCmd() *cobra.Command {
	var (
		cfg     pipeline.ScanConfig
		output  string
		secrets secretFlags
	)
	cmd := &cobra.Command{
		Use:   "collect [flags]",
		Short: "Gather the documents the bundles ask for, as JSON, without judging them",
		Long: `Collect runs the collect blocks of the bundles against the target and writes
every document as JSON: what policy authors look at while writing Rego, and
what 'assay eval --documents' judges later or elsewhere (a fleet's documents
evaluated together, for cross-host policies).

Live data sources are not fetched, so their secrets need no --allow-env;
the values of the secrets allowed are redacted from the documents.`,
		Example: `  assay collect -b ./my-bundle > host1.json
  assay collect --root /mnt/rootfs -o rootfs.json
  assay eval -b ./my-bundle --documents host1.json host2.json`,
		Args: noBundleArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := pipeline.CheckOutputFile(output); err != nil {
				return exitcode.UsageError(err)
			}
			ctx := cmd.Context()
			env := c.env(cmd)
			if err := secrets.apply(env); err != nil {
				return err
			}
			cfg.CollectOnly = true
			s, err := env.NewScanner(ctx, cfg)
			if err != nil {
				return err
			}
			defer s.Close()
			col := s.Pipeline().Collect(ctx)
			if err := ctx.Err(); err != nil {
				return exitcode.ScanError(err)
			}
			if err := pipeline.WriteJSON(output, cmd.OutOrStdout(), pipeline.NewDocumentsFile(env.Tool, col)); err != nil {
				return exitcode.ScanError(err)
			}
			return nil
		},
	}
	registerScan(cmd.Flags(), &cfg)
	secrets.register(cmd.Flags())
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the documents to `FILE` (atomically) instead of stdout")
	return cmd
}
