package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

// Job is one configured collect block to run.
type Job struct {
	Bundle    string
	Type      collector.Type
	Name      string
	Collector collector.Collector
}

// ID names the job's documents: "KIND.NAME", as policies reference them
// (collect.KIND.NAME).
func (j Job) ID() string { return j.Type.Name + "." + j.Name }

// Output is what one job produced.
type Output struct {
	Job       Job
	Documents []document.Document
	Result    report.CollectorResult
}

// Runner runs collect jobs against a target.
type Runner struct {
	Target target.Target
	Logger *slog.Logger
	// Timeout bounds each collector (0: none). A collector still running then
	// is reported with status "timeout" and its partial documents dropped.
	Timeout time.Duration
	// Parallel is how many collectors run at once (0: 4).
	Parallel int
	// MaxSkips bounds the skips listed per collector in the report (0:
	// report.DefaultMaxSkips); all are counted, per reason too.
	MaxSkips int
	// Progress, when set, is called as each job finishes (from the job's
	// goroutine, serialised).
	Progress func(done, total int, r report.CollectorResult)
	// Abandoned, when set, holds the collectors of earlier runs that
	// outlived their deadline and have not returned: they are not started
	// again until they do (status still_running). Give every Run of a
	// long-lived process the same one; nil tracks only this Run.
	Abandoned *Abandoned
}

// Run runs every job, concurrently, and returns one Output per job in the
// order given. It never fails as a whole: each job's failure is in its Result.
func (r *Runner) Run(ctx context.Context, jobs []Job) []Output {
	logger := r.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	par := r.Parallel
	if par <= 0 {
		par = 4
	}
	abandoned := r.Abandoned
	if abandoned == nil {
		abandoned = &Abandoned{}
	}
	out := make([]Output, len(jobs))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	notApplicable := map[string]bool{}
	var naMu sync.Mutex
	done := 0
	for i, job := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = r.runOne(ctx, logger, job, abandoned)
			naMu.Lock()
			done++
			if r.Progress != nil {
				r.Progress(done, len(jobs), out[i].Result)
			}
			first := !notApplicable[job.Type.Name]
			if out[i].Result.Status == report.CollectorNotApplicable {
				notApplicable[job.Type.Name] = true
			}
			naMu.Unlock()
			if out[i].Result.Status == report.CollectorNotApplicable {
				if first {
					logger.Info("collector does not apply to this target", "kind", job.Type.Name, "target", r.Target.Info().Kind, "reason", out[i].Result.Error)
				}
			}
		}()
	}
	wg.Wait()
	return out
}

func (r *Runner) runOne(ctx context.Context, logger *slog.Logger, job Job, abandoned *Abandoned) Output {
	logger = logger.With("collector", job.ID(), "bundle", job.Bundle)
	res := report.CollectorResult{Bundle: job.Bundle, Type: job.Type.Name, Name: job.Name, Status: report.CollectorOK}
	info := r.Target.Info()
	if job.Type.HostOnly && !info.Kind.Live() {
		res.Status = report.CollectorNotApplicable
		res.Error = fmt.Sprintf("%s facts describe a running host, not a %s target", job.Type.Name, info.Kind)
		return Output{Job: job, Result: res}
	}
	k := key(job)
	if since, ok := abandoned.since(k); ok {
		// A second copy would read the same stuck thing and get stuck
		// beside the first: one per scan, for as long as it lasts.
		res.Status = report.CollectorStillRunning
		res.Error = fmt.Sprintf("not started: its run from an earlier scan has not returned since it was abandoned %s ago, past its deadline",
			time.Since(since).Round(time.Millisecond))
		logger.Warn("collector still running from an earlier scan; not started again", "abandoned_for", time.Since(since).Round(time.Millisecond))
		return Output{Job: job, Result: res}
	}
	cctx := ctx
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	em := &emitter{job: job, skips: report.SkipLog{Max: r.MaxSkips}, logger: logger}
	start := time.Now()
	left, err := collect(cctx, job.Collector, collector.Env{Target: r.Target, Logger: logger, Name: job.Name}, em, logger, abandoned, k)
	res.DurationSeconds = time.Since(start).Seconds()
	em.mu.Lock()
	defer em.mu.Unlock()
	em.closed = true
	em.skips.Fill(&res)
	stillRunning := ""
	if left {
		stillRunning = fmt.Sprintf("; abandoned %s later, still running: not started again until it returns", abandonAfter)
	}
	switch {
	case err == nil && cctx.Err() != nil && ctx.Err() == nil:
		// The collector returned but ran out of time on the way: its
		// documents may be incomplete, so none of them are judged.
		fallthrough
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		res.Status = report.CollectorTimeout
		res.Error = fmt.Sprintf("did not finish within %s", r.Timeout) + stillRunning
		logger.Error("collector timed out", "timeout", r.Timeout)
		return Output{Job: job, Result: res}
	case errors.Is(err, collector.ErrNotApplicable):
		res.Status = report.CollectorNotApplicable
		res.Error = err.Error()
		return Output{Job: job, Result: res}
	case err != nil:
		res.Status = report.CollectorFailed
		res.Error = err.Error() + stillRunning
		logger.Error("collector failed", "err", err)
		return Output{Job: job, Result: res}
	}
	res.Documents = len(em.docs)
	return Output{Job: job, Documents: em.docs, Result: res}
}

// abandonAfter is how long a collector may take to return once its context
// has ended before the runner stops waiting for it.
var abandonAfter = time.Second

// collect runs one collector. A panic in it (a parser meeting input it did
// not expect) fails that collector, not the scan. A collector stuck where
// its context cannot reach (a read that blocks) is abandoned abandonAfter
// its context ends, so a timeout always ends the job: left reports it. Its
// goroutine is left to finish on its own, its later output dropped, and it
// stays in abandoned (under key k) until it returns.
func collect(ctx context.Context, c collector.Collector, env collector.Env, em *emitter, logger *slog.Logger, abandoned *Abandoned, k string) (left bool, err error) {
	done := make(chan error, 1)
	f := &flight{}
	go func() {
		// Sent before returned is recorded: a run that returned is never
		// abandoned, and its result is then waiting in done.
		defer abandoned.returned(k, f)
		defer func() {
			if p := recover(); p != nil {
				logger.Debug("collector panicked", "panic", p, "stack", string(debug.Stack()))
				done <- fmt.Errorf("collector panicked: %v", p)
			}
		}()
		done <- c.Collect(ctx, env, em)
	}()
	select {
	case err := <-done:
		return false, err
	case <-ctx.Done():
	}
	t := time.NewTimer(abandonAfter)
	defer t.Stop()
	select {
	case err := <-done:
		return false, err
	case <-t.C:
	}
	if !abandoned.abandon(k, f, time.Now()) {
		return false, <-done
	}
	logger.Warn("collector did not return after its context ended; abandoned, and not started again until it returns", "after", abandonAfter)
	return true, ctx.Err()
}

type emitter struct {
	job    Job
	logger *slog.Logger
	mu     sync.Mutex
	docs   []document.Document
	skips  report.SkipLog
	closed bool // the runner has taken the results: drop what comes later
}

func (e *emitter) Emit(d document.Document) {
	if d[document.FieldKind] == nil && len(e.job.Type.DocumentKinds) > 0 {
		d[document.FieldKind] = e.job.Type.DocumentKinds[0]
	}
	if d[document.FieldCollector] == nil {
		d[document.FieldCollector] = e.job.Name
	}
	e.mu.Lock()
	if !e.closed {
		e.docs = append(e.docs, d)
	}
	e.mu.Unlock()
}

func (e *emitter) Skip(path string, err error) {
	e.logger.Debug("skipped", "path", report.Shorten(path, report.MaxSkipText), "reason", report.Shorten(err.Error(), report.MaxSkipText))
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.skips.Add(path, err.Error(), skipClass(err))
	e.mu.Unlock()
}

// skipClass is the cause a skip is counted by: the message of the innermost
// wrapped error ("permission denied", "not a regular file"), which carries
// no path, unlike the wrappers around it.
func skipClass(err error) string {
	for {
		var next error
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			next = u.Unwrap()
		case interface{ Unwrap() []error }:
			if es := u.Unwrap(); len(es) > 0 {
				next = es[0]
			}
		}
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
