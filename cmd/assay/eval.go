package main

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/pipeline"
)

func (c *cli) evalCmd() *cobra.Command {
	var (
		bundles     []string
		fetch       pipeline.FetchOptions
		documents   []string
		docOpts     pipeline.DocumentOptions
		of          outputFlags
		evalTimeout time.Duration
		parallelism int
		maxMemory   int64
	)
	cmd := &cobra.Command{
		Use:   "eval --documents FILE... [flags]",
		Short: "Judge documents collected earlier (or any JSON/YAML files) with policy bundles",
		Long: `Eval evaluates policies over documents instead of collecting them: the
output of 'assay collect' from one or many hosts (so aggregate policies can
compare a whole fleet), or plain JSON and YAML files, each object one
document, as conftest reads them. A directory of conftest-style Rego is a
bundle, so existing policies run unchanged.`,
		Example: `  assay eval -b policies/rogue-hosts --documents host1.json host2.json host3.json
  assay eval -b ./conftest-policy --documents deployment.yaml -f json`,
		Args: func(cmd *cobra.Command, args []string) error {
			documents = append(documents, args...)
			if len(documents) == 0 {
				return errors.New("eval needs --documents FILE... (the output of 'assay collect', or JSON/YAML files)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			env := c.env(cmd)
			out, err := of.plan(env)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			col, err := env.ReadDocumentFiles(documents, docOpts)
			if err != nil {
				return err
			}
			bs, err := env.LoadBundles(ctx, bundles, fetch)
			if err != nil {
				return err
			}
			budget, err := applyMemoryBudget(maxMemory, env.Logger)
			if err != nil {
				return err
			}
			opts := []engine.Option{engine.WithEvalTimeout(evalTimeout), engine.WithMemoryBudget(budget)}
			if parallelism > 0 {
				opts = append(opts, engine.WithParallelism(parallelism))
			}
			eng, err := env.Compile(ctx, bs, opts...)
			if err != nil {
				return err
			}
			p := &pipeline.Pipeline{Bundles: bs, Engine: eng, Collectors: env.Collectors, Tool: env.Tool}
			r, err := p.Evaluate(ctx, col)
			if err != nil {
				return pipeline.ScanFailed(err)
			}
			return out.Deliver(ctx, r, cmd.OutOrStdout(), colorAllowed(cmd.OutOrStdout()))
		},
	}
	cmd.Flags().StringArrayVarP(&bundles, "bundle", "b", nil, bundleHelp)
	registerFetch(cmd.Flags(), &fetch)
	cmd.Flags().StringArrayVar(&documents, "documents", nil, "document `FILE`s to judge (repeatable; also taken as arguments)")
	registerDocuments(cmd.Flags(), &docOpts)
	cmd.Flags().DurationVar(&evalTimeout, "eval-timeout", 10*time.Second, "stop a policy evaluation that runs longer than this")
	cmd.Flags().IntVar(&parallelism, "parallel", 0, "evaluations that run at once (0: one per CPU)")
	registerMemory(cmd.Flags(), &maxMemory)
	of.register(cmd.Flags(), c.base.Formats)
	return cmd
}
