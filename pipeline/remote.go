package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/assay-dev/assay/collectors"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/targets/ssh"
)

// DefaultTargetParallel is how many targets a multi-target run scans at
// once when --parallel does not say.
const DefaultTargetParallel = 4

// SSHOptions say how SSH targets are reached and trusted.
type SSHOptions struct {
	// KnownHosts are the files host keys are checked against; none means
	// DefaultKnownHosts. Verification cannot be turned off.
	KnownHosts []string
	// Identities are private key files to authenticate with.
	Identities []string
	// AgentSocket is the ssh-agent to ask for keys (SSH_AUTH_SOCK; "" =
	// none).
	AgentSocket string
	// ConnectTimeout bounds connecting, verifying and logging in; ReadTimeout
	// each SFTP operation. 0 takes the targets/ssh defaults.
	ConnectTimeout, ReadTimeout time.Duration
}

// DefaultKnownHosts are the known_hosts files ssh(1) reads, those that
// exist: ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts.
func DefaultKnownHosts() []string {
	var out []string
	if home, err := os.UserHomeDir(); err == nil {
		out = append(out, filepath.Join(home, ".ssh", "known_hosts"))
	}
	out = append(out, "/etc/ssh/ssh_known_hosts")
	var exist []string
	for _, f := range out {
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
			exist = append(exist, f)
		}
	}
	return exist
}

// Remote reports whether the spec names SSH targets (--target,
// --inventory): the run is then a multi-target run.
func (s TargetSpec) Remote() bool { return len(s.Targets) > 0 || s.Inventory != "" }

// remoteRun is a multi-target run being prepared or under way: the
// targets, how to reach them, and the bundles loaded once for all.
type remoteRun struct {
	env      *Env
	cfg      ScanConfig
	targets  []RemoteTarget
	dialer   *ssh.Dialer
	pipeline *Pipeline // bundles, engine, data; no target
	// collectOnly: the documents are the output, redacted as collect's;
	// a scan judges them as read and redacts the report.
	collectOnly bool
}

// prepareRemote checks the targets and the SSH options, then loads (and,
// for a scan, compiles) the bundles once. Its errors are the user's to
// fix, before any host is contacted.
func (e *Env) prepareRemote(ctx context.Context, cfg ScanConfig, compile bool) (*remoteRun, error) {
	spec := cfg.Target
	if spec.Root != "" || spec.Image != "" {
		return nil, exitcode.UsageError(errors.New("--target and --inventory choose SSH targets; --root and --image another target: give one kind"))
	}
	targets, err := RemoteTargets(spec.Targets, spec.Inventory)
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	if len(targets) == 0 {
		return nil, exitcode.UsageError(fmt.Errorf("--inventory %s names no target", spec.Inventory))
	}
	known := spec.SSH.KnownHosts
	if len(known) == 0 {
		known = DefaultKnownHosts()
	}
	dialer, err := ssh.NewDialer(ssh.Config{
		KnownHosts: known, Identities: spec.SSH.Identities, AgentSocket: spec.SSH.AgentSocket,
		ConnectTimeout: spec.SSH.ConnectTimeout, ReadTimeout: spec.SSH.ReadTimeout, AllowProc: spec.AllowProc, Logger: e.logger(),
	})
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	loaded, err := e.LoadBundles(ctx, cfg.Bundles, cfg.Fetch)
	if err != nil {
		return nil, err
	}
	bundles, tailoring, err := e.ApplyOverlays(loaded, cfg.Overlays)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{Bundles: bundles, Collectors: e.Collectors, Logger: e.Logger, CollectorTimeout: cfg.CollectorTimeout, Tool: e.Tool,
		Data: &Data{Logger: e.Logger}, Secrets: e.Secrets, Tailoring: tailoring}
	if compile {
		// A bundle naming a secret this run does not allow, or a waiver
		// file with a mistake, is refused before any host is contacted,
		// as for a local scan.
		if err := checkSecrets(e.Secrets, bundles); err != nil {
			return nil, err
		}
		// Waivers are checked against the bundles as loaded, as for a
		// local scan: a waiver of a policy an overlay disables is stale.
		if p.Waivers, err = e.LoadWaivers(cfg.Waivers, loaded); err != nil {
			return nil, err
		}
		p.Now = cfg.Waivers.Clock()
		p.Baseline = cfg.Baseline
		eng, err := e.Compile(ctx, bundles, engine.WithEvalTimeout(cfg.EvalTimeout),
			engine.WithMemoryBudget(cfg.MaxMemory), engine.WithOverBudget(cfg.OverBudget))
		if err != nil {
			return nil, err
		}
		p.Engine = eng
	}
	return &remoteRun{env: e, cfg: cfg, targets: targets, dialer: dialer, pipeline: p, collectOnly: !compile}, nil
}

// remoteOutcome is how collecting one target went.
type remoteOutcome struct {
	target    RemoteTarget
	info      target.Info
	collected *Collected // nil when the target was never reached
	err       error      // why the target failed
	duration  time.Duration
}

// each collects every target, at most parallel at once, and hands each
// outcome to fn as soon as it is known (from the target's goroutine,
// serialised): a run keeps only what fn keeps.
func (r *remoteRun) each(ctx context.Context, fn func(i int, o *remoteOutcome)) {
	par := r.cfg.Parallel
	if par <= 0 {
		par = DefaultTargetParallel
	}
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range r.targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				o := &remoteOutcome{target: r.targets[i], info: r.info(i), err: fmt.Errorf("not scanned: %w", ctx.Err())}
				mu.Lock()
				fn(i, o)
				mu.Unlock()
				return
			}
			o := r.collect(ctx, i)
			<-sem
			mu.Lock()
			fn(i, o)
			mu.Unlock()
		}()
	}
	wg.Wait()
}

func (r *remoteRun) info(i int) target.Info {
	return target.Info{Kind: target.KindSSH, Name: r.targets[i].Address.String()}
}

// collect connects to one target and runs the collectors against it. A
// connection lost on the way fails the target: its documents are partial.
func (r *remoteRun) collect(ctx context.Context, i int) *remoteOutcome {
	start := time.Now()
	rt := r.targets[i]
	o := &remoteOutcome{target: rt, info: r.info(i)}
	logger := r.env.logger().With("target", o.info.Name)
	defer func() {
		o.duration = time.Since(start)
		if o.err != nil {
			logger.Error("target failed", "err", o.err)
		} else {
			logger.Info("target collected", "documents", len(o.collected.Documents), "seconds", o.duration.Seconds())
		}
	}()
	tgt, err := r.dialer.Dial(ctx, rt.Address)
	if err != nil {
		o.err = err
		return o
	}
	abandoned := &collectors.Abandoned{}
	defer func() {
		if !abandoned.AfterAll(func() { tgt.Close() }) {
			logger.Warn("target left open until the collectors abandoned past their deadline return", "collectors", abandoned.Running())
		}
	}()
	p := *r.pipeline
	p.Target, p.Logger, p.Abandoned = tgt, logger, abandoned
	if r.collectOnly {
		o.collected = p.Collect(ctx)
	} else {
		o.collected = p.collect(ctx, true)
	}
	if err := tgt.Err(); err != nil {
		o.err = err
	} else if err := ctx.Err(); err != nil {
		o.err = fmt.Errorf("scan interrupted: %w", err)
	}
	return o
}

// ScanTargets scans every SSH target of cfg.Target (--target,
// --inventory) with bundles loaded and compiled once, and returns one
// multi-target report (report.Report.Targets, in the order the targets
// were named). A target that cannot be reached, verified, logged into or
// read to the end is a failed section with its reason; the others
// complete. Each target's documents are dropped once judged, but for those
// that fleet policies take, which are judged over every target that was
// scanned at the end: memory grows with the findings and fleet documents
// kept, not with the documents read.
func (e *Env) ScanTargets(ctx context.Context, cfg ScanConfig) (*report.Report, error) {
	start := time.Now()
	run, err := e.prepareRemote(ctx, cfg, true)
	if err != nil {
		return nil, err
	}
	p := run.pipeline
	sources, err := p.fetchData(ctx)
	if err != nil {
		return nil, err
	}
	r := NewReport(e.Tool, target.Info{}, p.Bundles)
	r.StartedAt = start.UTC()
	r.Tailoring = p.Tailoring
	r.Targets = make([]report.TargetResult, len(run.targets))
	var evalErr error
	// The fleet policies judge every target at the end: each target keeps
	// the documents they take, and only those.
	fleet := make([]*FleetMember, len(run.targets))
	hasFleet := p.Engine.HasFleet()
	red := newRedactor(p.Secrets)
	run.each(ctx, func(i int, o *remoteOutcome) {
		sec := report.TargetResult{Status: report.TargetOK, Labels: o.target.Labels}
		if o.err == nil {
			rep, err := p.evaluate(ctx, o.collected, sources)
			if err != nil {
				o.err = err
				if ctx.Err() == nil {
					evalErr = err
				}
			} else {
				sec.Report = rep
				if hasFleet {
					fleet[i] = &FleetMember{Report: rep, Host: o.collected.Host, Labels: o.target.Labels,
						Documents: fleetDocuments(p.Engine, o.collected.Documents)}
				}
			}
		}
		if o.err != nil {
			sec.Status, sec.Error = report.TargetFailed, o.err.Error()
			sec.Report = NewReport(e.Tool, o.info, p.Bundles)
			sec.Report.StartedAt = start.UTC()
			if o.collected != nil {
				sec.Report.Collectors = o.collected.Collectors
				sec.Report.Host, _ = o.collected.Host["hostname"].(string)
			}
			sec.Report.Timings.TotalSeconds = o.duration.Seconds()
			sec.Report.DataSources = sources
			sec.Report.Sort()
		}
		if fleet[i] == nil {
			// A fleet member is redacted once the fleet findings are in.
			red.redactReport(sec.Report)
		}
		sec.Error = red.String(sec.Error)
		r.Targets[i] = sec
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scan interrupted: %w", err)
	}
	if evalErr != nil {
		return nil, evalErr
	}
	if hasFleet {
		// Failed targets are left out: their documents are partial, and
		// their sections hold no findings.
		var members []FleetMember
		for _, m := range fleet {
			if m != nil {
				members = append(members, *m)
			}
		}
		if err := p.judgeFleet(ctx, members); err != nil {
			return nil, err
		}
		for _, m := range members {
			red.redactReport(m.Report)
		}
	}
	r.Timings.TotalSeconds = time.Since(start).Seconds()
	e.WarnWaivers(r, p.Waivers)
	return r, nil
}

// TargetDocuments is one target's part of a multi-target `assay collect`:
// its documents file, or why it failed.
type TargetDocuments struct {
	Target RemoteTarget
	Info   target.Info
	Status report.TargetStatus
	Error  string
	// File is what a collect of the target alone writes; nil when the
	// target was never reached, partial when it failed on the way.
	File *DocumentsFile
}

// CollectTargets collects every SSH target of cfg.Target, handing each
// target's documents to fn as soon as they are complete (serialised, in
// the order targets finish); what fn does not keep is dropped. It returns
// the outcome of each target, in the order they were named, without their
// documents.
func (e *Env) CollectTargets(ctx context.Context, cfg ScanConfig, fn func(i int, d *TargetDocuments) error) ([]TargetDocuments, error) {
	run, err := e.prepareRemote(ctx, cfg, false)
	if err != nil {
		return nil, err
	}
	out := make([]TargetDocuments, len(run.targets))
	var fnErr error
	run.each(ctx, func(i int, o *remoteOutcome) {
		d := &TargetDocuments{Target: o.target, Info: o.info, Status: report.TargetOK}
		if o.err != nil {
			d.Status, d.Error = report.TargetFailed, o.err.Error()
		}
		if o.collected != nil {
			d.File = NewDocumentsFile(e.Tool, o.collected)
		}
		if err := fn(i, d); err != nil && fnErr == nil {
			fnErr = err
		}
		d.File = nil
		out[i] = *d
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("collect interrupted: %w", err)
	}
	return out, fnErr
}
