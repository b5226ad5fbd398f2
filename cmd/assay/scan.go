package main

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/pipeline"
)

func (c *cli) scanCmd() *cobra.Command {
	var (
		cfg           pipeline.ScanConfig
		of            outputFlags
		secrets       secretFlags
		explainPolicy string
		wf            waiverFlags
		baseline      string
		allowEmpty    bool
	)
	cmd := &cobra.Command{
		Use:   "scan [flags]",
		Short: "Collect facts from a target and judge them with policy bundles",
		Long: `Scan collects the facts the bundles ask for from the target (this host,
--root DIR or --image REF), evaluates every policy, and writes the findings.

A bundle reads no secret of this host (environment variables, files it
names as passwords) and nothing that processes keep in /proc unless you
allow it: --allow-env, --allow-secret-file, --allow-proc. The values of the
secrets allowed are redacted from every output (docs/security.md).

Waivers (--waivers) accept a risk until they expire: their findings stay in
every output, marked, and never fail the run. A baseline (--baseline, the
JSON report of an earlier scan) lets only new findings fail it
(docs/waivers.md).

With --target ssh://HOST (repeatable) or --inventory FILE it scans hosts
assay is not installed on, over SSH: files are read over SFTP, read-only,
host keys are checked against known_hosts, and one report holds a section
per target (docs/targets.md). A target that cannot be scanned is reported
with its reason and fails the run (exit 3) unless --allow-failed-targets;
the exit code is the worst of the targets'.

Exit codes: 0 nothing at or above --fail-on; 1 a mandatory violation at or
above --fail-on, neither waived nor in the baseline; 2 a usage, bundle,
waiver or input error, or a secret not allowed; 3 the scan itself failed (a
collector or a policy could not run to completion), or nothing was checked:
every policy was skipped, as when the target holds none of what the bundles
look at (see --allow-empty).`,
		Example: `  # this host, built-in bundles, a table on the terminal
  assay scan

  # a root filesystem against your own bundle, SARIF for code scanning and a table
  assay scan --root /mnt/rootfs -b ./my-bundle -f sarif=assay.sarif -f table

  # gate CI on high and critical mandatory findings only
  assay scan --image app.tar --fail-on high

  # accept listed risks until they expire; fail only on what the last release did not have
  assay scan --image app.tar --waivers waivers.hcl --baseline last-release.json

  # hosts over SSH, 16 at a time, one SARIF file and one textfile per host
  assay scan --inventory fleet.yaml --identity ~/.ssh/audit_ed25519 --parallel 16 \
    -f table -f sarif=out/ -f prometheus=/var/lib/node_exporter/textfile/assay/

  # the built-in bundles tailored to CIS Level 1 (thresholds, disabled policies)
  assay scan --root /mnt/rootfs --overlay examples/overlays/cis-level1.hcl`,
		Args: noBundleArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env := c.env(cmd)
			out, err := of.plan(env)
			if err != nil {
				return err
			}
			if err := secrets.apply(env); err != nil {
				return err
			}
			if cfg.MaxMemory, err = applyMemoryBudget(cfg.MaxMemory, env.Logger); err != nil {
				return err
			}
			out.Gate.FailEmpty = !allowEmpty
			if cfg.Waivers, err = wf.options(); err != nil {
				return err
			}
			if baseline != "" {
				if cfg.Baseline, err = pipeline.ReadBaseline(baseline); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			if cfg.Target.Remote() {
				if explainPolicy != "" {
					return exitcode.UsageError(errors.New("--explain traces a policy on one target: use it with the host, --root or --image, not --target or --inventory"))
				}
				out.Gate.AllowFailedTargets = cfg.Target.AllowFailedTargets
				r, err := env.ScanTargets(ctx, cfg)
				if err != nil {
					if exitcode.Of(err, -1) != -1 {
						return err // bad targets, keys or bundles: 2
					}
					return pipeline.ScanFailed(err)
				}
				return out.Deliver(ctx, r, cmd.OutOrStdout(), colorAllowed(cmd.OutOrStdout()))
			}
			s, err := env.NewScanner(ctx, cfg)
			if err != nil {
				return err
			}
			defer s.Close()
			p := s.Pipeline()
			explain, err := explainTo(cmd, p, out, explainPolicy)
			if err != nil {
				return err
			}
			if stop := showProgress(cmd.ErrOrStderr()); stop != nil {
				p.Progress = stop.update
				defer stop.done()
			}
			r, err := p.Scan(ctx)
			if err != nil {
				return pipeline.ScanFailed(err)
			}
			defer explain()
			env.WarnWaivers(r, p.Waivers)
			return out.Deliver(ctx, r, cmd.OutOrStdout(), colorAllowed(cmd.OutOrStdout()))
		},
	}
	registerScan(cmd.Flags(), &cfg)
	registerOverlays(cmd.Flags(), &cfg.Overlays)
	registerMemory(cmd.Flags(), &cfg.MaxMemory)
	secrets.register(cmd.Flags())
	registerRemote(cmd.Flags(), &cfg.Target)
	of.register(cmd.Flags(), c.base.Formats)
	cmd.Flags().StringVar(&explainPolicy, "explain", "", explainHelp)
	completeOutputFlags(cmd, c.base.Formats.Names())
	wf.register(cmd.Flags())
	cmd.Flags().StringVar(&baseline, "baseline", "", "only findings not in `FILE`, the JSON report of an earlier run (assay scan -f json), fail this one; the summary counts new, unchanged and fixed findings")
	cmd.Flags().BoolVar(&allowEmpty, "allow-empty", false, "exit 0 when every policy was skipped, rather than 3 (nothing was checked)")
	return cmd
}

// progress draws one status line on a terminal's stderr while collectors run,
// and erases it before results are printed.
type progress struct {
	w  io.Writer
	mu sync.Mutex
}

// showProgress returns nil unless stderr is a terminal.
func showProgress(w io.Writer) *progress {
	if !isTerminal(w) {
		return nil
	}
	return &progress{w: w}
}

func (p *progress) update(done, total int, c report.CollectorResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r\x1b[Kcollecting: %d/%d collectors done (last: %s.%s, %d documents)", done, total, c.Type, c.Name, c.Documents)
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\x1b[K")
}
