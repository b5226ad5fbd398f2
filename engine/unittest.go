package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"

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
}

// Test runs the test_ rules of each bundle's test modules against the
// bundle's modules and data, sandboxed as Eval is. Results come sorted by
// bundle, package and location. A compile error returns hcl.Diagnostics.
func Test(ctx context.Context, bundles []*bundle.Bundle, opts TestOptions) ([]TestResult, error) {
	if opts.Run != "" {
		if _, err := regexp.Compile(opts.Run); err != nil {
			return nil, fmt.Errorf("test filter %q: %w", opts.Run, err)
		}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultEvalTimeout
	}
	caps := sandboxCapabilities()
	var out []TestResult
	for bi, b := range bundles {
		if len(b.Tests) == 0 {
			continue
		}
		res, err := testBundle(ctx, bi, b, caps, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Bundle != b.Bundle {
			return a.Bundle < b.Bundle
		}
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		return a.Location < b.Location
	})
	return out, nil
}

func testBundle(ctx context.Context, bi int, b *bundle.Bundle, caps *ast.Capabilities, opts TestOptions) ([]TestResult, error) {
	modules := map[string]*ast.Module{}
	for mi, m := range append(append([]*bundle.Module(nil), b.Modules...), b.Tests...) {
		if m != nil && m.Parsed != nil {
			modules[moduleKey(bi, mi, m.Filename)] = m.Parsed
		}
	}
	data, err := mergeData([]*bundle.Bundle{b})
	if err != nil {
		return nil, err
	}
	if len(opts.Data) > 0 {
		if _, ok := opts.Data["assay"]; ok {
			return nil, errors.New("data: data.assay is reserved for assay's own facts; rename that key of the --data files")
		}
		if err := mergeInto(data, opts.Data, "", "a bundle and by --data"); err != nil {
			return nil, fmt.Errorf("bundle %q: data: %w", b.Name, err)
		}
	}
	store := newStore(data)
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, fmt.Errorf("bundle %q: tests: %w", b.Name, err)
	}
	defer store.Abort(ctx, txn)

	runner := tester.NewRunner().
		SetCompiler(newCompiler(caps)).
		SetStore(store).
		SetModules(modules).
		SetRuntime(ast.NewTerm(ast.NewObject())).
		SetTimeout(opts.Timeout).
		CapturePrintOutput(true).
		Filter(opts.Run)
	ch, err := runner.RunTests(ctx, txn)
	if err != nil {
		var astErrs ast.Errors
		if errors.As(err, &astErrs) {
			return nil, compileDiagnostics(astErrs, []*bundle.Bundle{b})
		}
		return nil, fmt.Errorf("bundle %q: tests: %w", b.Name, err)
	}
	var out []TestResult
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
		default:
			tr.Status = TestPass
		}
		if opts.Verbose || tr.Status == TestFail || tr.Status == TestError {
			tr.Output = r.Output
		}
		out = append(out, tr)
	}
	return out, ctx.Err()
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
