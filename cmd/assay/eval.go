package main

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/pipeline"
)

func init() { addCommand(newEvalCmd) }

func newEvalCmd() *cobra.Command {
	var (
		bundles     []string
		bf          bundleFlags
		documents   []string
		of          outputFlags
		evalTimeout time.Duration
		parallelism int
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
			out, err := of.plan()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			start := time.Now()
			col := &pipeline.Collected{}
			for _, f := range documents {
				docs, host, err := pipeline.ReadDocuments(f)
				if err != nil {
					return usageError(err)
				}
				col.Documents = append(col.Documents, docs...)
				if col.Host == nil && host != nil {
					col.Host = host
				}
			}
			col.Duration = time.Since(start)
			bf.logger = logger(cmd)
			bs, err := loadBundles(ctx, bundles, &bf, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			opts := []engine.Option{engine.WithLogger(logger(cmd)), engine.WithEvalTimeout(evalTimeout)}
			if parallelism > 0 {
				opts = append(opts, engine.WithParallelism(parallelism))
			}
			eng, err := compile(ctx, bs, cmd.ErrOrStderr(), opts...)
			if err != nil {
				return err
			}
			p := &pipeline.Pipeline{Bundles: bs, Engine: eng, Target: documentsTarget{names: documents}, Tool: tool()}
			r, err := p.Evaluate(ctx, col)
			if err != nil {
				return scanFailed(err, cmd.ErrOrStderr(), bs)
			}
			return out.deliver(ctx, r, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringArrayVarP(&bundles, "bundle", "b", nil, bundleHelp)
	bf.register(cmd.Flags())
	cmd.Flags().StringArrayVar(&documents, "documents", nil, "document `FILE`s to judge (repeatable; also taken as arguments)")
	cmd.Flags().DurationVar(&evalTimeout, "eval-timeout", 10*time.Second, "stop a policy evaluation that runs longer than this")
	cmd.Flags().IntVar(&parallelism, "parallel", 0, "evaluations that run at once (0: one per CPU)")
	of.register(cmd.Flags())
	return cmd
}

// documentsTarget names what eval judged in reports; it has no files.
type documentsTarget struct {
	target.Target
	names []string
}

func (d documentsTarget) Info() target.Info {
	name := "documents"
	if len(d.names) == 1 {
		name = d.names[0]
	}
	return target.Info{Kind: target.KindDocuments, Name: name}
}
