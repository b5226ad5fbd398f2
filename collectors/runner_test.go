package collectors_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/collectors"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/targets"
)

// fake is a collector whose behaviour each case sets.
type fake func(ctx context.Context, env collector.Env, emit collector.Emitter) error

func (f fake) Collect(ctx context.Context, env collector.Env, emit collector.Emitter) error {
	return f(ctx, env, emit)
}

func kind(name string, hostOnly bool) collector.Type {
	return collector.Type{Name: name, DocumentKinds: []string{"fake." + name}, HostOnly: hostOnly,
		New: func(hcl.Body, *hcl.EvalContext) (collector.Collector, hcl.Diagnostics) { return nil, nil }}
}

func TestRunner(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	tgt, err := targets.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	jobs := []collectors.Job{
		{Bundle: "b", Type: kind("ok", false), Name: "two", Collector: fake(func(_ context.Context, _ collector.Env, emit collector.Emitter) error {
			emit.Emit(document.Document{"path": "/a"})
			emit.Emit(document.Document{"kind": "custom", "collector": "mine"})
			for i := range 5 {
				emit.Skip(fmt.Sprintf("/skipped/%d", i), errors.New("permission denied"))
			}
			return nil
		})},
		{Bundle: "b", Type: kind("slow", false), Name: "s", Collector: fake(func(ctx context.Context, _ collector.Env, emit collector.Emitter) error {
			emit.Emit(document.Document{})
			<-ctx.Done()
			return ctx.Err()
		})},
		{Bundle: "b", Type: kind("broken", false), Name: "x", Collector: fake(func(context.Context, collector.Env, collector.Emitter) error {
			return errors.New("no such table")
		})},
		{Bundle: "b", Type: kind("absent", false), Name: "n", Collector: fake(func(context.Context, collector.Env, collector.Emitter) error {
			return fmt.Errorf("sshd is not installed: %w", collector.ErrNotApplicable)
		})},
		{Bundle: "b", Type: kind("panics", false), Name: "p", Collector: fake(func(context.Context, collector.Env, collector.Emitter) error {
			panic("index out of range") // a parser's bug must not take the scan down
		})},
		{Bundle: "b", Type: kind("stuck", false), Name: "k", Collector: fake(func(_ context.Context, _ collector.Env, emit collector.Emitter) error {
			// Blocked where no context reaches, as on a FIFO read.
			<-release
			emit.Emit(document.Document{"late": true})
			return nil
		})},
		{Bundle: "b", Type: kind("net", true), Name: "i", Collector: fake(func(context.Context, collector.Env, collector.Emitter) error {
			t.Error("a host-only collector ran against a root filesystem")
			return nil
		})},
	}
	var progress []string
	r := &collectors.Runner{Target: tgt, Timeout: 50 * time.Millisecond, MaxSkips: 3,
		Progress: func(done, total int, c report.CollectorResult) {
			progress = append(progress, fmt.Sprintf("%d/%d", done, total))
		}}
	outs := r.Run(context.Background(), jobs)

	want := []struct {
		status report.CollectorStatus
		docs   int
		errSub string
	}{
		{report.CollectorOK, 2, ""},
		{report.CollectorTimeout, 0, "did not finish within 50ms"},
		{report.CollectorFailed, 0, "no such table"},
		{report.CollectorNotApplicable, 0, "sshd is not installed"},
		{report.CollectorFailed, 0, "collector panicked: index out of range"},
		{report.CollectorTimeout, 0, "did not finish within 50ms"},
		{report.CollectorNotApplicable, 0, "not a root target"},
	}
	for i, w := range want {
		got := outs[i].Result
		if got.Status != w.status || len(outs[i].Documents) != w.docs || got.Documents != w.docs || !strings.Contains(got.Error, w.errSub) {
			t.Errorf("job %s: status %s, %d docs, error %q; want %s, %d docs, error containing %q",
				jobs[i].ID(), got.Status, len(outs[i].Documents), got.Error, w.status, w.docs, w.errSub)
		}
	}
	ok := outs[0]
	if ok.Result.SkippedTotal != 5 || len(ok.Result.Skipped) != 3 {
		t.Errorf("skips: total %d, kept %d; want 5 counted, 3 kept", ok.Result.SkippedTotal, len(ok.Result.Skipped))
	}
	if d := ok.Documents[0]; d.Kind() != "fake.ok" || d.Collector() != "two" || d.Path() != "/a" {
		t.Errorf("defaults not filled in: %v", d)
	}
	if d := ok.Documents[1]; d.Kind() != "custom" || d.Collector() != "mine" {
		t.Errorf("a collector's own kind and name must be kept: %v", d)
	}
	if len(progress) != len(jobs) || progress[len(progress)-1] != "7/7" {
		t.Errorf("progress calls: %v", progress)
	}
}

// TestRunnerAbandoned runs a collector stuck where its context does not
// reach, scan after scan with one Abandoned, as assay serve does: it is
// abandoned once, then not started again (still_running) while it runs,
// and eligible again once it has returned, even late.
func TestRunnerAbandoned(t *testing.T) {
	defer collectors.SetAbandonAfter(20 * time.Millisecond)()
	tgt, err := targets.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	var (
		calls   atomic.Int32
		release = make(chan struct{})
	)
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	stuck := collectors.Job{Bundle: "b", Type: kind("stuck", false), Name: "k", Collector: fake(func(ctx context.Context, _ collector.Env, emit collector.Emitter) error {
		calls.Add(1)
		<-release // blocked where no context reaches, as on a hung mount
		emit.Emit(document.Document{"late": true})
		return nil
	})}
	// prompt shares nothing with stuck but its bundle: it runs every time.
	prompt := collectors.Job{Bundle: "b", Type: kind("prompt", false), Name: "p", Collector: fake(func(context.Context, collector.Env, collector.Emitter) error {
		return nil
	})}
	abandoned := &collectors.Abandoned{}
	r := &collectors.Runner{Target: tgt, Timeout: 20 * time.Millisecond, Abandoned: abandoned}

	steps := []struct {
		name    string
		release bool // let the stuck collector return before this scan
		want    report.CollectorStatus
		errSub  string
		calls   int32
		running []string // abandoned after the scan
	}{
		{name: "first scan abandons it", want: report.CollectorTimeout, errSub: "abandoned", calls: 1, running: []string{"b/stuck.k"}},
		{name: "second scan does not start it again", want: report.CollectorStillRunning, errSub: "not started: its run from an earlier scan has not returned", calls: 1, running: []string{"b/stuck.k"}},
		{name: "third scan neither", want: report.CollectorStillRunning, errSub: "not started", calls: 1, running: []string{"b/stuck.k"}},
		{name: "once it has returned it runs again", release: true, want: report.CollectorOK, calls: 2, running: []string{}},
	}
	idle := make(chan struct{})
	for i, st := range steps {
		if st.release {
			close(release)
			select {
			case <-idle:
			case <-time.After(10 * time.Second):
				t.Fatal("AfterAll's function not called 10s after the collector was released")
			}
		}
		outs := r.Run(context.Background(), []collectors.Job{stuck, prompt})
		got := outs[0].Result
		if got.Status != st.want || !strings.Contains(got.Error, st.errSub) {
			t.Errorf("%s: status %s, error %q; want %s, error containing %q", st.name, got.Status, got.Error, st.want, st.errSub)
		}
		if got.Status != report.CollectorOK && len(outs[0].Documents) != 0 {
			t.Errorf("%s: %d documents of a collector that did not finish", st.name, len(outs[0].Documents))
		}
		if n := calls.Load(); n != st.calls {
			t.Errorf("%s: the stuck collector was started %d times in all, want %d", st.name, n, st.calls)
		}
		if p := outs[1].Result; p.Status != report.CollectorOK {
			t.Errorf("%s: the other collector: %s %q", st.name, p.Status, p.Error)
		}
		if got := abandoned.Running(); !slices.Equal(got, st.running) {
			t.Errorf("%s: still running %q, want %q", st.name, got, st.running)
		}
		if i == 0 && abandoned.AfterAll(func() { close(idle) }) {
			t.Error("AfterAll ran its function while a collector was still running")
		}
	}
	called := false
	if !abandoned.AfterAll(func() { called = true }) || !called {
		t.Error("AfterAll did not run its function at once with no collector running")
	}
}

// TestRunnerSkipSummary: skips are counted per cause (the innermost error,
// which carries no path) and every path and reason kept is bounded, however
// long the names a target hands a collector.
func TestRunnerSkipSummary(t *testing.T) {
	tgt, err := targets.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	long := "/" + strings.Repeat("n", 1<<20)
	for _, tc := range []struct {
		name  string
		skips func(emit collector.Emitter)
		want  []report.SkipCount
	}{
		{"by innermost error", func(emit collector.Emitter) {
			for _, p := range []string{"/etc/shadow", "/etc/gshadow", "/root"} {
				emit.Skip(p, fmt.Errorf("read: %w", &fs.PathError{Op: "open", Path: p[1:], Err: syscall.EACCES}))
			}
			emit.Skip("/run/fifo", fmt.Errorf("%w: fifo", target.ErrNotRegular))
		}, []report.SkipCount{{Reason: "permission denied", Count: 3}, {Reason: "not a regular file", Count: 1}}},
		{"a plain error is its own cause", func(emit collector.Emitter) {
			emit.Skip("/x", errors.New("3 malformed frames ignored"))
		}, []report.SkipCount{{Reason: "3 malformed frames ignored", Count: 1}}},
		{"megabyte names", func(emit collector.Emitter) {
			for range 50 {
				emit.Skip(long, fmt.Errorf("open %s: %w", long, fs.ErrNotExist))
			}
		}, []report.SkipCount{{Reason: "file does not exist", Count: 50}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := collectors.Job{Bundle: "b", Type: kind("skips", false), Name: "s", Collector: fake(func(_ context.Context, _ collector.Env, emit collector.Emitter) error {
				tc.skips(emit)
				return nil
			})}
			res := (&collectors.Runner{Target: tgt}).Run(t.Context(), []collectors.Job{job})[0].Result
			if !reflect.DeepEqual(res.SkippedByReason, tc.want) {
				t.Errorf("by reason %v, want %v", res.SkippedByReason, tc.want)
			}
			size := 0
			for _, s := range res.Skipped {
				size += len(s.Path) + len(s.Reason)
				if len(s.Path) > report.MaxSkipText || len(s.Reason) > report.MaxSkipText {
					t.Errorf("kept a skip of %d+%d bytes", len(s.Path), len(s.Reason))
				}
			}
			if size > 50*2*report.MaxSkipText {
				t.Errorf("skips hold %d bytes", size)
			}
		})
	}
}
