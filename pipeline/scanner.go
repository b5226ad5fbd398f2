package pipeline

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/collectors"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/internal/membudget"
	"github.com/assay-dev/assay/pipeline/precompiled"
)

// ScanConfig says what a Scanner loads and scans.
type ScanConfig struct {
	// Bundles are the bundle sources; none means the built-in bundles.
	Bundles []string
	Fetch   FetchOptions
	Target  TargetSpec
	// CollectorTimeout bounds each collector (0: none); EvalTimeout each
	// policy evaluation, as engine.WithEvalTimeout.
	CollectorTimeout time.Duration
	EvalTimeout      time.Duration
	// Parallel bounds the evaluations and collectors that run at once (0:
	// one per CPU).
	Parallel int
	// MaxMemory is the memory budget of policy evaluation, in bytes (0:
	// none), as engine.WithMemoryBudget; OverBudget hears of each policy
	// stopped for it.
	MaxMemory  int64
	OverBudget func(bundle, policy string)
	// KeepLastGoodData makes a data source that cannot be fetched keep its
	// last good data (reported stale) rather than fail the scan: a daemon
	// must not go blind while a directory is down.
	KeepLastGoodData bool
	// CollectOnly says the live data will not be fetched (assay collect),
	// so the secrets the data sources name are not checked when the
	// bundles load.
	CollectOnly bool
	// Overlays are overlay files (--overlay), applied in order after the
	// bundles load; they are read again on every (re)load.
	Overlays []string
	// Waivers are the waiver files and their clock; they are read again,
	// and checked against the bundles, on every (re)load.
	Waivers WaiverOptions
	// Baseline, when set, is the earlier report findings are compared
	// with (--baseline): only new ones fail the gate. A multi-target run
	// compares each target with that target's section of a multi-target
	// baseline, or with a single-target baseline as a whole.
	Baseline *SavedReport
}

// Scanner is a loaded scan: bundles compiled and a target open, ready to
// scan repeatedly. assay serve scans on an interval with one Scanner and
// reloads its bundles on SIGHUP; a reload that fails keeps the bundles it
// had. The live data sources' last good data outlives reloads, and so do
// the collectors abandoned past their deadline: none is started again
// while its earlier run goes on.
type Scanner struct {
	env       *Env
	cfg       ScanConfig
	target    target.Target
	data      *Data
	abandoned collectors.Abandoned

	mu       sync.Mutex // guards pipeline across Reload
	pipeline *Pipeline
}

// NewScanner opens the target and loads the bundles. Its errors carry
// their exit codes (bundle errors as a *DiagnosticsError).
func (e *Env) NewScanner(ctx context.Context, cfg ScanConfig) (*Scanner, error) {
	s := &Scanner{env: e, cfg: cfg, data: &Data{Logger: e.Logger, KeepLastGood: cfg.KeepLastGoodData}}
	tgt, err := e.OpenTarget(ctx, cfg.Target)
	if err != nil {
		return nil, err
	}
	s.target = tgt
	p, err := s.load(ctx)
	if err != nil {
		tgt.Close()
		return nil, err
	}
	s.pipeline = p
	return s, nil
}

func (s *Scanner) load(ctx context.Context) (*Pipeline, error) {
	// Loading and compiling policies allocate a great many short-lived
	// objects into a heap that starts small: at the default GOGC the
	// collector runs every few megabytes and takes a fifth of start-up.
	// Until the engine is built it runs less often, for a few megabytes
	// of peak; an operator's GOGC is left alone. (Before a run's first
	// collection, membudget.DelayCollection may hold it off longer:
	// the percent then takes effect from that collection.)
	if os.Getenv("GOGC") == "" {
		defer membudget.SetGCPercent(membudget.SetGCPercent(400))
	}
	if len(s.cfg.Bundles) == 0 {
		// The built-in bundles: their compiler is rebuilt from the form
		// compiled at build time on one core while they load on the
		// others. Should they turn out not to be those (an overlay
		// cannot change their Rego, but the digest decides), the engine
		// compiles them and the form's work is dropped.
		precompiledBuiltin().Start()
	}
	bundles, err := s.env.LoadBundles(ctx, s.cfg.Bundles, s.cfg.Fetch)
	if err != nil {
		return nil, err
	}
	// Waivers first: their mistakes are found in a moment, compiling the
	// Rego takes longer. They are checked against the bundles as loaded,
	// so a waiver of a policy an overlay disables is known (and stale).
	waivers, err := s.env.LoadWaivers(s.cfg.Waivers, bundles)
	if err != nil {
		return nil, err
	}
	bundles, tailoring, err := s.env.ApplyOverlays(bundles, s.cfg.Overlays)
	if err != nil {
		return nil, err
	}
	opts := []engine.Option{engine.WithEvalTimeout(s.cfg.EvalTimeout),
		engine.WithMemoryBudget(s.cfg.MaxMemory), engine.WithOverBudget(s.cfg.OverBudget)}
	if bundle.AllEmbedded(bundles) {
		// Compiled at build time: the engine rebuilds the compiler from
		// it when these are the bundles it was made of.
		opts = append(opts, engine.WithFusionFrom(fuseFromDocuments), engine.WithPrecompiled(precompiledBuiltin()))
	}
	if s.cfg.Parallel > 0 {
		opts = append(opts, engine.WithParallelism(s.cfg.Parallel))
	}
	// A bundle that names a secret this run does not allow is refused
	// now, not at its first fetch: at startup, or as a failed reload.
	if !s.cfg.CollectOnly {
		if err := checkSecrets(s.env.Secrets, bundles); err != nil {
			return nil, err
		}
	}
	eng, err := s.env.Compile(ctx, bundles, opts...)
	if err != nil {
		return nil, err
	}
	// The engine's store holds the bundles' data now, in the form policies
	// read. Nothing in a scan reads the decoded copy in each bundle again,
	// and a bundle of large data files (an imported MIG investigation:
	// 18 MB of JSON at 20,000 users) would otherwise be held twice.
	for _, b := range bundles {
		b.Data = nil
	}
	return &Pipeline{
		Bundles: bundles, Engine: eng, Target: s.target, Collectors: s.env.Collectors, Logger: s.env.Logger,
		CollectorTimeout: s.cfg.CollectorTimeout, Parallel: s.cfg.Parallel, Tool: s.env.Tool,
		Data: s.data, Abandoned: &s.abandoned, Secrets: s.env.Secrets, Tailoring: tailoring,
		Waivers: waivers, Now: s.cfg.Waivers.Clock(), Baseline: s.cfg.Baseline,
	}, nil
}

// precompiledBuiltin is the built-in bundles' compiled form; tests swap
// it to compare a scan with one compiled from the sources.
var precompiledBuiltin = precompiled.Builtin

// fuseFromDocuments is when a Scanner's engine fuses the policies of the
// built-in bundles (engine.WithFusionFrom): a scan of one host judges a
// few dozen documents at most (6 for examples/demo/rootfs, 9 for this
// machine), where fusion saves about a millisecond and compiling it costs
// 7 ms; recompiling with it costs about 20, which a few hundred documents
// repay. Other bundles fuse when compiled, as before: a large one (an
// imported MIG investigation, a thousand policies) is scanned over many
// documents, and compiling it twice would cost more than fusing it once.
const fuseFromDocuments = 128

// Pipeline returns the current pipeline (it changes on Reload).
func (s *Scanner) Pipeline() *Pipeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pipeline
}

// Bundles returns the loaded bundles.
func (s *Scanner) Bundles() []*bundle.Bundle { return s.Pipeline().Bundles }

// Scan fetches the live data, runs the collectors and evaluates the
// policies once.
func (s *Scanner) Scan(ctx context.Context) (*report.Report, error) {
	return s.Pipeline().Scan(ctx)
}

// Reload re-reads the bundles and the overlay files; on error the scanner
// keeps the bundles and overlays it had.
func (s *Scanner) Reload(ctx context.Context) error {
	p, err := s.load(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.pipeline = p
	s.mu.Unlock()
	return nil
}

// Close releases the target, once no abandoned collector reads it: one
// still running past its deadline keeps it open until it returns.
func (s *Scanner) Close() error {
	var err error
	if s.abandoned.AfterAll(func() { err = s.target.Close() }) {
		return err
	}
	s.env.logger().Warn("target left open until the collectors abandoned past their deadline return", "collectors", s.abandoned.Running())
	return nil
}
