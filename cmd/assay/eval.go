package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/pipeline"
)

func (c *cli) evalCmd() *cobra.Command {
	var (
		bundles       []string
		fetch         pipeline.FetchOptions
		documents     []string
		docOpts       pipeline.DocumentOptions
		of            outputFlags
		evalTimeout   time.Duration
		parallelism   int
		maxMemory     int64
		cf            conftestFlags
		secrets       secretFlags
		explainPolicy string
		overlays      []string
		wf            waiverFlags
		baseline      string
		fleetMode     bool
	)
	cmd := &cobra.Command{
		Use:   "eval --documents FILE... [flags]",
		Short: "Judge documents collected earlier (or any JSON/YAML files) with policy bundles",
		Long: `Eval evaluates policies over documents instead of collecting them: the
output of 'assay collect' from one or many hosts (so aggregate policies can
compare a whole fleet), or plain JSON and YAML files, each object one
document, as conftest reads them; "-" reads standard input. A directory of
conftest-style Rego is a bundle, so existing policies run unchanged, with
conftest's --data, --namespace (main unless told), --all-namespaces,
--combine and exception rules (docs/bundles.md, "conftest compatibility"),
and an eval in which no policy had anything to judge exits 0, as conftest
does. Waivers (--waivers) and a baseline (--baseline) work as for scan
(docs/waivers.md).

With --fleet, each file is one target (the output of 'assay collect' on it):
each is judged on its own, and fleet policies once over all of them, each
finding reported at the target it names (docs/fleet.md).`,
		Example: `  assay eval --fleet -b policies/rogue-hosts --documents host1.json --documents host2.json --documents host3.json
  assay eval -b ./conftest-policy --documents deployment.yaml -f json
  assay eval -b policy --data policy/data --all-namespaces manifests/*.yaml
  helm template ./chart | assay eval -b policy -`,
		Args: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if isBundleDir(a) {
					return exitcode.UsageError(fmt.Errorf("%s is a bundle, and eval takes bundles with -b: did you mean 'assay eval -b %s --documents FILE...'?", a, a))
				}
			}
			documents = append(documents, args...)
			if len(documents) == 0 {
				return errors.New("eval needs --documents FILE... (the output of 'assay collect', or JSON/YAML files)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			env := c.env(cmd)
			env.Stdin = cmd.InOrStdin()
			cf.quietDataWarning(env)
			out, err := of.plan(env)
			if err != nil {
				return err
			}
			if err := secrets.apply(env); err != nil {
				return err
			}
			wopts, err := wf.options()
			if err != nil {
				return err
			}
			var base *pipeline.SavedReport
			if baseline != "" {
				if base, err = pipeline.ReadBaseline(baseline); err != nil {
					return err
				}
			}
			// Before the documents are read: the collector's first collection
			// waits for a heap of some size (membudget.DelayCollection).
			budget, err := applyMemoryBudget(maxMemory, env.Logger)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var (
				col   *pipeline.Collected
				fleet []pipeline.FleetInput
			)
			if fleetMode {
				fleet, err = env.ReadFleetFiles(documents, docOpts)
			} else {
				col, err = env.ReadDocumentFiles(documents, docOpts)
			}
			if err != nil {
				return err
			}
			bs, err := env.LoadBundles(ctx, bundles, fetch)
			if err != nil {
				return err
			}
			waivers, err := env.LoadWaivers(wopts, bs)
			if err != nil {
				return err
			}
			bs, tailoring, err := env.ApplyOverlays(bs, overlays)
			if err != nil {
				return err
			}
			if err := env.SelectNamespaces(bs, cf.namespaces, cf.allNamespaces); err != nil {
				return err
			}
			data, err := pipeline.LoadData(cf.data)
			if err != nil {
				return err
			}
			opts := []engine.Option{engine.WithEvalTimeout(evalTimeout), engine.WithMemoryBudget(budget), engine.WithData(data)}
			if parallelism > 0 {
				opts = append(opts, engine.WithParallelism(parallelism))
			}
			eng, err := env.Compile(ctx, bs, opts...)
			if err != nil {
				return err
			}
			p := &pipeline.Pipeline{Bundles: bs, Engine: eng, Collectors: env.Collectors, Tool: env.Tool, Combine: cf.combine, Secrets: env.Secrets,
				Tailoring: tailoring, Waivers: waivers, Now: wopts.Clock(), Baseline: base}
			explain, err := explainTo(cmd, p, out, explainPolicy)
			if err != nil {
				return err
			}
			evaluate := func() (*report.Report, error) { return p.Evaluate(ctx, col) }
			if fleetMode {
				evaluate = func() (*report.Report, error) { return p.EvaluateFleet(ctx, fleet) }
			}
			r, err := evaluate()
			if err != nil {
				return pipeline.ScanFailed(err)
			}
			defer explain()
			env.WarnWaivers(r, waivers)
			return out.Deliver(ctx, r, cmd.OutOrStdout(), colorAllowed(cmd.OutOrStdout()))
		},
	}
	cmd.Flags().StringArrayVarP(&bundles, "bundle", "b", nil, bundleHelp)
	registerFetch(cmd.Flags(), &fetch)
	secrets.register(cmd.Flags())
	registerOverlays(cmd.Flags(), &overlays)
	cmd.Flags().StringArrayVar(&documents, "documents", nil, "document `FILE`s to judge (repeatable; also taken as arguments)")
	registerDocuments(cmd.Flags(), &docOpts)
	cmd.Flags().BoolVar(&fleetMode, "fleet", false, "each --documents file is one target (the output of 'assay collect' on it): judge each on its own and fleet policies over all of them")
	cmd.Flags().DurationVar(&evalTimeout, "eval-timeout", 10*time.Second, "stop a policy evaluation that runs longer than this")
	cmd.Flags().IntVar(&parallelism, "parallel", 0, "evaluations that run at once (0: one per CPU)")
	registerMemory(cmd.Flags(), &maxMemory)
	cf.register(cmd.Flags(), true)
	of.register(cmd.Flags(), c.base.Formats)
	cmd.Flags().StringVar(&explainPolicy, "explain", "", explainHelp)
	completeOutputFlags(cmd, c.base.Formats.Names())
	wf.register(cmd.Flags())
	cmd.Flags().StringVar(&baseline, "baseline", "", "only findings not in `FILE`, the JSON report of an earlier run (assay eval -f json), fail this one; the summary counts new, unchanged and fixed findings")
	return cmd
}

// conftestFlags are the flags of conftest test that assay eval takes too,
// with conftest's defaults (docs/bundles.md, "conftest compatibility"),
// and the --data of conftest verify that assay test takes.
type conftestFlags struct {
	data          []string
	namespaces    []string
	allNamespaces bool
	combine       bool
}

func (f *conftestFlags) register(fs *pflag.FlagSet, eval bool) {
	fs.StringSliceVarP(&f.data, "data", "d", nil, "`PATH`s of JSON and YAML data for the policies, as conftest --data: a file's object is merged at the top of data, a directory's files under their directories' names (repeatable, or comma-separated)")
	if !eval {
		return
	}
	fs.StringSliceVarP(&f.namespaces, "namespace", "n", pipeline.DefaultNamespaces, "judge with these `PACKAGE`s of conftest-style bundles, as conftest --namespace (globs: k8s.*); bundles with HCL judge with all their policies")
	fs.BoolVar(&f.allNamespaces, "all-namespaces", false, "judge with every package of conftest-style bundles, as conftest --all-namespaces")
	fs.BoolVar(&f.combine, "combine", false, "give conftest-style policies all documents as one input, an array of {path, contents}, as conftest --combine")
}

// quietDataWarning drops the warning that a conftest-style bundle's data
// files are not read when --data is given: the user passes data the
// conftest way already.
func (f *conftestFlags) quietDataWarning(env *pipeline.Env) {
	if len(f.data) == 0 || env.Warnings == nil {
		return
	}
	warn := env.Warnings
	env.Warnings = func(diags hcl.Diagnostics, files map[string]*hcl.File) {
		var kept hcl.Diagnostics
		for _, d := range diags {
			if d.Summary != bundle.DataFilesIgnored {
				kept = append(kept, d)
			}
		}
		if len(kept) > 0 {
			warn(kept, files)
		}
	}
}
