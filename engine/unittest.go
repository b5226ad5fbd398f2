package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/assay-dev/assay/bundle"
)

// TestOptions configure Test.
type TestOptions struct {
	// Run selects tests whose "package.rule" name matches this regular
	// expression, like go test -run; "" runs all.
	Run string
	// Verbose keeps the print() output of every test, not only of failing
	// ones.
	Verbose bool
	// Timeout bounds each test (default: DefaultEvalTimeout).
	Timeout time.Duration
	// Data is added to each bundle's own data, as WithData adds it for
	// evaluation (conftest verify --data).
	Data map[string]any
	// Coverage computes which lines of the bundles' policy and library
	// modules the tests evaluate (TestRun.Coverage), as opa test
	// --coverage does.
	Coverage bool
}

// TestStatus is a Rego test's outcome.
type TestStatus string

// Test outcomes.
const (
	TestPass  TestStatus = "pass"
	TestFail  TestStatus = "fail"
	TestError TestStatus = "error"
	TestSkip  TestStatus = "skip" // a todo_test_ rule
)

// TestResult is one test_ rule's outcome.
type TestResult struct {
	Bundle  string
	Package string // "data.assay.ssh_test"
	Name    string // the rule, "test_password_auth_denied"
	// Location is "file:line" of the test rule.
	Location string
	Status   TestStatus
	// Error is the evaluation error of a test with status error.
	Error    string
	Duration time.Duration
	// Output is what the test printed (print()); kept for failing and
	// erroring tests, and for all tests when TestOptions.Verbose is set.
	Output []byte
	// Values shows, for a failing test, the expression that failed last
	// with the values of its terms, as opa test --var-values prints it
	// (the first MaxFailureValues failing tests of a bundle; "" for the
	// others, and when there is nothing to show).
	Values string
}

// TestRun is what RunTests produced.
type TestRun struct {
	Results []TestResult
	// Coverage is OPA's coverage report over the bundles' modules (test
	// modules left out), keyed by file name; nil unless
	// TestOptions.Coverage.
	Coverage *cover.Report
}

// Bounds of what a failing test shows: the values of at most
// MaxFailureValues failing tests per bundle are traced, each shown in at
// most maxValueLines lines.
const (
	MaxFailureValues = 20
	maxValueLines    = 20
)

// Test runs the test_ rules of each bundle's test modules against the
// bundle's modules and data, sandboxed as Eval is. Results come sorted by
// bundle, package and location. A compile error returns hcl.Diagnostics.
func Test(ctx context.Context, bundles []*bundle.Bundle, opts TestOptions) ([]TestResult, error) {
	run, err := RunTests(ctx, bundles, opts)
	if err != nil {
		return nil, err
	}
	return run.Results, nil
}

// RunTests is Test with the coverage report when opts.Coverage is set.
func RunTests(ctx context.Context, bundles []*bundle.Bundle, opts TestOptions) (*TestRun, error) {
	if opts.Run != "" {
		if _, err := regexp.Compile(opts.Run); err != nil {
			return nil, fmt.Errorf("test filter %q: %w", opts.Run, err)
		}
	}
	if err := checkExtraData(opts.Data); err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultEvalTimeout
	}
	caps := sandboxCapabilities()
	run := &TestRun{}
	if opts.Coverage {
		run.Coverage = &cover.Report{Files: map[string]*cover.FileReport{}}
	}
	for bi, b := range bundles {
		if len(b.Tests) == 0 {
			continue
		}
		res, cov, err := testBundle(ctx, bi, b, caps, opts)
		if err != nil {
			return nil, err
		}
		run.Results = append(run.Results, res...)
		if cov != nil {
			mergeCoverage(run.Coverage, cov)
		}
	}
	if run.Coverage != nil {
		totalCoverage(run.Coverage)
	}
	out := run.Results
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Bundle != b.Bundle {
			return a.Bundle < b.Bundle
		}
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		return lessLocation(a.Location, b.Location)
	})
	return run, nil
}

func testBundle(ctx context.Context, bi int, b *bundle.Bundle, caps *ast.Capabilities, opts TestOptions) ([]TestResult, *cover.Report, error) {
	modules := map[string]*ast.Module{}
	for mi, m := range append(append([]*bundle.Module(nil), b.Modules...), b.Tests...) {
		if m != nil && m.Parsed != nil {
			modules[moduleKey(bi, mi, m.Filename)] = m.Parsed
		}
	}
	data, err := mergeData([]*bundle.Bundle{b})
	if err != nil {
		return nil, nil, err
	}
	if err := mergeInto(data, opts.Data, "", "a bundle and by --data"); err != nil {
		return nil, nil, fmt.Errorf("bundle %q: data: %w", b.Name, err)
	}
	store, err := newStore(data)
	if err != nil {
		return nil, nil, fmt.Errorf("bundle %q: data: %w", b.Name, err)
	}
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("bundle %q: tests: %w", b.Name, err)
	}
	defer store.Abort(ctx, txn)

	runner := func() *tester.Runner {
		return tester.NewRunner().
			SetCompiler(newCompiler(caps)).
			SetStore(store).
			SetModules(modules).
			SetRuntime(ast.NewTerm(ast.NewObject())).
			SetTimeout(opts.Timeout).
			CapturePrintOutput(true)
	}
	r := runner().Filter(opts.Run)
	var cov *cover.Cover
	if opts.Coverage {
		// Only the plain pass: the extra passes OPA can run tell why a
		// line was not covered (rule indexing, early exit), at twice the cost.
		cov = cover.New()
		r.SetCoverageQueryTracer(cov).SetCoverageRuns([]cover.Kind{})
	}
	ch, err := r.RunTests(ctx, txn)
	if err != nil {
		var astErrs ast.Errors
		if errors.As(err, &astErrs) {
			return nil, nil, compileDiagnostics(astErrs, []*bundle.Bundle{b}, nil)
		}
		return nil, nil, fmt.Errorf("bundle %q: tests: %w", b.Name, err)
	}
	var out []TestResult
	var failed []string
	for r := range ch {
		tr := TestResult{
			Bundle:   b.Name,
			Package:  r.Package,
			Name:     r.Name,
			Duration: r.Duration,
		}
		if r.Location != nil {
			tr.Location = fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
		}
		switch {
		case r.Error != nil:
			tr.Status = TestError
			tr.Error = r.Error.Error()
		case r.Skip:
			tr.Status = TestSkip
		case r.Fail:
			tr.Status = TestFail
			failed = append(failed, r.Package+"."+r.Name)
		default:
			tr.Status = TestPass
		}
		if opts.Verbose || tr.Status == TestFail || tr.Status == TestError {
			tr.Output = r.Output
		}
		out = append(out, tr)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		failed = failed[:min(len(failed), MaxFailureValues)]
		values, err := failureValues(ctx, txn, runner(), failed)
		if err != nil {
			return nil, nil, fmt.Errorf("bundle %q: tests: %w", b.Name, err)
		}
		for i := range out {
			out[i].Values = values[out[i].Package+"."+out[i].Name]
		}
	}
	var rep *cover.Report
	if cov != nil {
		rep = coverageOf(cov, b.Modules)
	}
	return out, rep, nil
}

// lessLocation orders "file:line" locations by file, then by line number
// (so that line 9 comes before line 13).
func lessLocation(a, b string) bool {
	af, al := splitLocation(a)
	bf, bl := splitLocation(b)
	if af != bf {
		return af < bf
	}
	return al < bl
}

func splitLocation(loc string) (string, int) {
	i := strings.LastIndexByte(loc, ':')
	if i < 0 {
		return loc, 0
	}
	n, err := strconv.Atoi(loc[i+1:])
	if err != nil {
		return loc, 0
	}
	return loc[:i], n
}

// failureValues runs the failing tests again, one at a time, with a tracer
// that keeps the last failed expression of each with the values of its
// terms: what `opa test --var-values` shows. Only that one event is kept
// per test, so a test that iterates over much data costs time, not memory.
func failureValues(ctx context.Context, txn storage.Transaction, r *tester.Runner, names []string) (map[string]string, error) {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	t := &failTracer{last: map[string]topdown.Event{}}
	ch, err := r.SetParallel(1).
		SetCoverageQueryTracer(t).
		SetCoverageRuns([]cover.Kind{}).
		Filter("^("+strings.Join(quoted, "|")+")$").
		RunTests(ctx, txn)
	if err != nil {
		return nil, err
	}
	for range ch {
	}
	out := map[string]string{}
	for name, e := range t.last {
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "%s:%d:\n", e.Location.File, e.Location.Row)
		if err := topdown.PrettyEvent(&buf, &e, topdown.PrettyEventOpts{PrettyVars: true}); err != nil {
			continue
		}
		out[name] = limitLines(strings.TrimRight(buf.String(), "\n"), maxValueLines)
	}
	return out, ctx.Err()
}

// failTracer keeps, per test rule, the last event of a failed expression
// (not an every, whose failing body expression comes earlier), as OPA's
// test reporter picks it. Tests run one at a time: the test that an
// evaluation belongs to is the rule the top-level query enters.
type failTracer struct {
	current string
	last    map[string]topdown.Event
}

func (t *failTracer) Enabled() bool { return true }

func (t *failTracer) Config() topdown.TraceConfig { return topdown.TraceConfig{PlugLocalVars: true} }

func (t *failTracer) TraceEvent(e topdown.Event) {
	switch e.Op {
	case topdown.EnterOp:
		if r, ok := e.Node.(*ast.Rule); ok && e.ParentID == 0 && r.Module != nil {
			t.current = r.Module.Package.Path.String() + "." + r.Head.Ref().String()
		}
	case topdown.FailOp:
		if t.current == "" || e.Location == nil || e.QueryID == 0 {
			return
		}
		if expr, ok := e.Node.(*ast.Expr); ok {
			if _, every := expr.Terms.(*ast.Every); every {
				return
			}
		}
		t.last[t.current] = e
	}
}

// limitLines keeps the first n lines of s, saying how many it left out.
func limitLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:n-1], "\n") + fmt.Sprintf("\n… %d more lines", len(lines)-n+1)
}

// CountFailed counts the results that failed or errored.
func CountFailed(results []TestResult) int {
	n := 0
	for _, r := range results {
		if r.Status == TestFail || r.Status == TestError {
			n++
		}
	}
	return n
}
