package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
)

func testBundleWithTests(t *testing.T) *bundle.Bundle {
	b := newBundle(t, "ssh", map[string]any{"limits": map[string]any{"max": 2}}, pol{id: "p", rego: `package ssh.p
deny contains "too many" if input.n > data.limits.max`})
	b.Tests = append(b.Tests, parseModule(t, "ssh/p_test.rego", `package ssh.p_test

import data.ssh.p

test_denies_above_limit if {
	p.deny == {"too many"} with input as {"n": 3}
}

test_passes_at_limit if {
	count(p.deny) == 0 with input as {"n": 2}
}

test_fails_on_purpose if {
	print("about to fail")
	count(p.deny) == 1 with input as {"n": 1}
}

test_errors if {
	x := {"a": 1, "b": 2}[input.k] with input as {"k": "a"}
	y := 1 / 0
	y > x
}

test_runtime_has_no_env if {
	object.get(opa.runtime(), "env", "none") == "none"
}

todo_test_later if false
`))
	return b
}

func TestTestRunsBundleTests(t *testing.T) {
	res, err := Test(context.Background(), []*bundle.Bundle{testBundleWithTests(t)}, TestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]TestStatus{}
	for _, r := range res {
		got[r.Name] = r.Status
		if r.Package != "data.ssh.p_test" || r.Bundle != "ssh" || !strings.HasPrefix(r.Location, "ssh/p_test.rego:") {
			t.Errorf("%s: package %q bundle %q location %q", r.Name, r.Package, r.Bundle, r.Location)
		}
		if r.Name == "test_fails_on_purpose" && !strings.Contains(string(r.Output), "about to fail") {
			t.Errorf("failing test output %q lacks its print", r.Output)
		}
		if r.Status == TestPass && len(r.Output) > 0 {
			t.Errorf("%s: passing test keeps output %q without Verbose", r.Name, r.Output)
		}
	}
	want := map[string]TestStatus{
		"test_denies_above_limit": TestPass,
		"test_passes_at_limit":    TestPass,
		"test_fails_on_purpose":   TestFail,
		"test_errors":             TestFail, // 1/0 is undefined (non-strict builtins), so the test fails
		"test_runtime_has_no_env": TestPass,
		"todo_test_later":         TestSkip,
	}
	for name, st := range want {
		if got[name] != st {
			t.Errorf("%s: status %q, want %q", name, got[name], st)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d tests %v, want %d", len(got), got, len(want))
	}
}

func TestTestFilterAndErrors(t *testing.T) {
	res, err := Test(context.Background(), []*bundle.Bundle{testBundleWithTests(t)}, TestOptions{Run: "limit$", Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Name != "test_denies_above_limit" || res[1].Name != "test_passes_at_limit" {
		t.Errorf("filtered results %+v", res)
	}

	if _, err := Test(context.Background(), nil, TestOptions{Run: "("}); err == nil || !strings.Contains(err.Error(), `test filter "("`) {
		t.Errorf("bad filter error = %v", err)
	}

	b := testBundleWithTests(t)
	b.Tests = append(b.Tests, parseModule(t, "ssh/net_test.rego", `package ssh.net_test
test_send if http.send({"method": "get", "url": "http://127.0.0.1:1"})`))
	_, err = Test(context.Background(), []*bundle.Bundle{b}, TestOptions{})
	got := diagLines(t, err)
	if len(got) != 1 || !strings.HasPrefix(got[0], "ssh/net_test.rego:2:14: http.send is not allowed in assay policies") {
		t.Errorf("diagnostics %q", got)
	}
}

// TestFailingTestValues: a failing test shows the expression that failed
// with the values it compared; a passing one shows nothing.
func TestFailingTestValues(t *testing.T) {
	res, err := Test(context.Background(), []*bundle.Bundle{testBundleWithTests(t)}, TestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"test_fails_on_purpose":   {"ssh/p_test.rego:15:", "count(p.deny) == 1 with input as {\"n\": 1}", "set()", "0"},
		"test_errors":             {"ssh/p_test.rego:20:", "y := 1 / 0", "undefined"},
		"test_denies_above_limit": nil,
	}
	for _, r := range res {
		w, ok := want[r.Name]
		if !ok {
			continue
		}
		if w == nil && r.Values != "" {
			t.Errorf("%s passed but shows values %q", r.Name, r.Values)
		}
		for _, s := range w {
			if !strings.Contains(r.Values, s) {
				t.Errorf("%s: values lack %q:\n%s", r.Name, s, r.Values)
			}
		}
	}
}

// TestCoverage: the report covers the policy module, not the test module,
// and names the lines no test reaches.
func TestCoverage(t *testing.T) {
	b := newBundle(t, "cov", nil, pol{id: "p", rego: `package cov.p

deny contains "big" if {
	input.n > 10
}

deny contains "negative" if {
	input.n < 0
}
`})
	b.Tests = append(b.Tests, parseModule(t, "cov/p_test.rego", `package cov.p_test

import data.cov.p

test_big if p.deny == {"big"} with input as {"n": 11}
`))
	run, err := RunTests(context.Background(), []*bundle.Bundle{b}, TestOptions{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	if run.Coverage == nil {
		t.Fatal("no coverage report")
	}
	if _, ok := run.Coverage.Files["cov/p_test.rego"]; ok || len(run.Coverage.Files) != 1 {
		t.Errorf("files %v: want only cov/p.rego", run.Coverage.Files)
	}
	fr := run.Coverage.Files["cov/p.rego"]
	if got := UncoveredLines(fr); len(got) != 1 || got[0] != [2]int{7, 7} {
		t.Errorf("uncovered lines %v, want [[7 7]] (the head of a rule that never holds)", got)
	}
	if fr.CoveredLines != 3 || fr.NotCoveredLines != 1 || run.Coverage.Coverage != 75 {
		t.Errorf("covered %d, not covered %d, total %.1f%%; want 3, 1, 75%%", fr.CoveredLines, fr.NotCoveredLines, run.Coverage.Coverage)
	}

	plain, err := RunTests(context.Background(), []*bundle.Bundle{b}, TestOptions{})
	if err != nil || plain.Coverage != nil {
		t.Errorf("without Coverage: report %v, err %v", plain.Coverage, err)
	}
}
