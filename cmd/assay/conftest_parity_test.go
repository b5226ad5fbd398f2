package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/internal/testenv"
)

// The conftest differential suite: every directory of
// examples/conftest-parity holds a conftest policy directory (policy/), the
// inputs it judges, and cases.txt, whose lines say what to run with both
// tools and compare:
//
//	test ARGS...           conftest test -o json -p policy ARGS
//	                       assay eval -b policy -f json ARGS
//	test < FILE ARGS...    the same, with FILE on standard input
//	verify ARGS...         conftest verify -o json -p policy ARGS
//	                       assay test -v ARGS policy
//	refuse ARGS...         as test; both must refuse the policy directory
//
// conftest-args in a directory holds flags given to conftest only (its
// --rego-version v0, which assay does not need). For each test line, the
// exit codes must be equal and, per file and namespace, the failures and
// the warnings (messages, with their counts); exceptions must be the same
// (file, namespace, rule) as conftest's, except those conftest counts for a
// rule that found nothing (docs/bundles.md, intended differences). For
// verify, the passing and failing tests per file and the exit code.
//
// make test builds the pinned conftest and names it in ASSAY_CONFTEST.

const conftestEnv = "ASSAY_CONFTEST"

func parityDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples", "conftest-parity")
}

// conftestBinary is the conftest of make test, or the test fails in CI and
// is skipped elsewhere.
func conftestBinary(t *testing.T) string {
	t.Helper()
	p := os.Getenv(conftestEnv)
	if p == "" {
		testenv.Unavailable(t, "%s is not set: run make test, which builds the pinned conftest and sets it", conftestEnv)
	}
	if _, err := os.Stat(p); err != nil {
		testenv.Unavailable(t, "%s=%s: %v (make conftest builds it)", conftestEnv, p, err)
	}
	return p
}

// parityCase is one line of a cases.txt.
type parityCase struct {
	dir   string // the corpus directory
	line  int
	kind  string // test, verify, refuse
	stdin string // file given on standard input, or ""
	args  []string
}

func (c parityCase) String() string {
	s := c.kind
	if c.stdin != "" {
		s += " < " + c.stdin
	}
	return fmt.Sprintf("%s/cases.txt:%d: %s", c.dir, c.line, strings.Join(append([]string{s}, c.args...), " "))
}

func readCases(t *testing.T, dir string) []parityCase {
	t.Helper()
	f, err := os.Open(filepath.Join(parityDir(), dir, "cases.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []parityCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		c := parityCase{dir: dir, line: n, kind: fields[0], args: fields[1:]}
		if len(c.args) >= 2 && c.args[0] == "<" {
			c.stdin, c.args = c.args[1], c.args[2:]
		}
		if c.kind != "test" && c.kind != "verify" && c.kind != "refuse" {
			t.Fatalf("%s: unknown kind %q (test, verify, refuse)", c, c.kind)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// outcome is what one tool said about one case, normalised for comparison.
type outcome struct {
	Code int
	// Results are per "FILE (NAMESPACE)" for test, per test file for verify.
	Results map[string]*fileResult
	// Exceptions are "FILE (NAMESPACE) RULE" triples (test only).
	Exceptions []string
}

type fileResult struct {
	Failures []string `json:",omitempty"`
	Warnings []string `json:",omitempty"`
	Passed   int      `json:",omitempty"` // verify: passing tests
	Skipped  []string `json:",omitempty"` // verify: todo_test_ rules
}

func (o *outcome) at(key string) *fileResult {
	if o.Results == nil {
		o.Results = map[string]*fileResult{}
	}
	r := o.Results[key]
	if r == nil {
		r = &fileResult{}
		o.Results[key] = r
	}
	return r
}

func (o *outcome) sort() {
	for k, r := range o.Results {
		sort.Strings(r.Failures)
		sort.Strings(r.Warnings)
		sort.Strings(r.Skipped)
		if len(r.Failures) == 0 && len(r.Warnings) == 0 && r.Passed == 0 && len(r.Skipped) == 0 {
			delete(o.Results, k)
		}
	}
	if len(o.Results) == 0 {
		o.Results = nil
	}
	sort.Strings(o.Exceptions)
	o.Exceptions = slices.Compact(o.Exceptions)
}

// fileKey names a result's file the same way for both tools: conftest
// writes "" for standard input, assay "-"; conftest's --combine result is
// "Combined", assay's findings of a combined input point at no file.
func fileKey(file, namespace string) string {
	switch file {
	case "":
		file = "-"
	case "Combined":
		file = "(combined)"
	}
	return fmt.Sprintf("%s (%s)", file, namespace)
}

var exceptionQuery = regexp.MustCompile(`^data\.(.+)\.exception\[_\]\[_\] == "(.*)"$`)

func runConftest(t *testing.T, bin string, c parityCase) (outcome, string) {
	t.Helper()
	var args []string
	switch c.kind {
	case "verify":
		args = append([]string{"verify", "--no-color", "-o", "json", "-p", "policy"}, c.args...)
	default:
		args = append([]string{"test", "--no-color", "-o", "json", "-p", "policy"}, c.args...)
	}
	if extra, err := os.ReadFile("conftest-args"); err == nil {
		args = append(args[:1], append(strings.Fields(string(extra)), args[1:]...)...)
	}
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if c.stdin != "" {
		in, err := os.Open(c.stdin)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		cmd.Stdin = in
	}
	err := cmd.Run()
	var o outcome
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		o.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: conftest: %v", c, err)
	}
	log := fmt.Sprintf("conftest %s (exit %d)\n%s%s", strings.Join(args, " "), o.Code, stdout.String(), stderr.String())
	if c.kind == "refuse" {
		return o, log
	}
	var results []struct {
		Filename   string                 `json:"filename"`
		Namespace  string                 `json:"namespace"`
		Successes  int                    `json:"successes"`
		Failures   []struct{ Msg string } `json:"failures"`
		Warnings   []struct{ Msg string } `json:"warnings"`
		Exceptions []struct{ Msg string } `json:"exceptions"`
		Skipped    []struct{ Msg string } `json:"skipped"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
		t.Fatalf("%s: conftest's output is not its JSON: %v\n%s", c, err, log)
	}
	for _, r := range results {
		if c.kind == "verify" {
			res := o.at(r.Filename)
			res.Passed += r.Successes
			for _, f := range r.Failures {
				res.Failures = append(res.Failures, strings.TrimPrefix(f.Msg, "data."))
			}
			for _, f := range r.Skipped {
				res.Skipped = append(res.Skipped, strings.TrimPrefix(f.Msg, "data."))
			}
			continue
		}
		key := fileKey(r.Filename, r.Namespace)
		res := o.at(key)
		for _, f := range r.Failures {
			res.Failures = append(res.Failures, f.Msg)
		}
		for _, w := range r.Warnings {
			res.Warnings = append(res.Warnings, w.Msg)
		}
		for _, e := range r.Exceptions {
			m := exceptionQuery.FindStringSubmatch(e.Msg)
			if m == nil {
				t.Fatalf("%s: conftest exception %q: not the query this test knows", c, e.Msg)
			}
			o.Exceptions = append(o.Exceptions, fileKey(r.Filename, m[1])+" "+m[2])
		}
	}
	o.sort()
	return o, log
}

func runAssay(t *testing.T, c parityCase) (outcome, string) {
	t.Helper()
	var args []string
	switch c.kind {
	case "verify":
		args = append(append([]string{"test", "-v"}, c.args...), "policy")
	default:
		args = append([]string{"eval", "-b", "policy", "-f", "json"}, c.args...)
	}
	var stdout, stderr bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	if c.stdin != "" {
		in, err := os.Open(c.stdin)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		root.SetIn(in)
	}
	err := root.ExecuteContext(context.Background())
	var o outcome
	o.Code = exitcode.Of(err, exitcode.Usage)
	if err != nil && !exitcode.Reported(err) {
		stderr.WriteString(err.Error())
	}
	log := fmt.Sprintf("assay %s (exit %d)\n%s%s", strings.Join(args, " "), o.Code, stdout.String(), stderr.String())
	switch {
	case c.kind == "refuse" || o.Code >= 2:
		return o, log
	case c.kind == "verify":
		// PASS  main.test_x (policy/x_test.rego:12) 1ms
		line := regexp.MustCompile(`^(PASS|FAIL|ERROR|SKIP) +(\S+) \((.+):\d+\)`)
		for _, l := range strings.Split(stdout.String(), "\n") {
			m := line.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			res := o.at(m[3])
			switch m[1] {
			case "PASS":
				res.Passed++
			case "SKIP":
				res.Skipped = append(res.Skipped, m[2])
			default:
				res.Failures = append(res.Failures, m[2])
			}
		}
		o.sort()
		return o, log
	}
	var rep struct {
		Findings []struct {
			PolicyID string `json:"policy_id"`
			Kind     string `json:"kind"`
			Message  string `json:"message"`
			Path     string `json:"path"`
			Waived   *struct {
				ID            string `json:"id"`
				Kind          string `json:"kind"`
				Justification string `json:"justification"`
			} `json:"waived"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("%s: assay's output is not its JSON report: %v\n%s", c, err, log)
	}
	for _, f := range rep.Findings {
		file := f.Path
		if file == "" {
			file = "Combined"
		}
		key := fileKey(file, f.PolicyID)
		if f.Path == "-" {
			key = fileKey("", f.PolicyID)
		}
		switch {
		case f.Waived != nil:
			id := strings.SplitN(f.Waived.ID, ":", 3)
			if len(id) != 3 || id[0] != "exception" || f.Waived.Kind != "exception" || f.Waived.Justification != "exception rule in "+id[1] {
				t.Fatalf("%s: waived finding %+v: not marked as an exception (id exception:PKG:RULE, kind exception, justification \"exception rule in PKG\")", c, *f.Waived)
			}
			o.Exceptions = append(o.Exceptions, fileKey(map[bool]string{true: "", false: file}[f.Path == "-"], id[1])+" "+id[2])
		case f.Kind == "deny":
			o.at(key).Failures = append(o.at(key).Failures, f.Message)
		default:
			o.at(key).Warnings = append(o.at(key).Warnings, f.Message)
		}
	}
	o.sort()
	return o, log
}

// parityCoverage counts, per item of issue 15 section 2, the corpus
// directories whose cases exercise it.
type parityCoverage map[string]map[string]bool

func (p parityCoverage) add(item, dir string) {
	if p[item] == nil {
		p[item] = map[string]bool{}
	}
	p[item][dir] = true
}

func TestConftestParity(t *testing.T) {
	bin := conftestBinary(t)
	entries, err := os.ReadDir(parityDir())
	if err != nil {
		t.Fatal(err)
	}
	cov := parityCoverage{}
	dirs := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dirs++
		dir := e.Name()
		t.Run(dir, func(t *testing.T) {
			t.Chdir(filepath.Join(parityDir(), dir))
			for _, c := range readCases(t, dir) {
				want, clog := runConftest(t, bin, c)
				got, alog := runAssay(t, c)
				noteCoverage(cov, c, want)
				switch c.kind {
				case "refuse":
					if want.Code != 1 || got.Code != exitcode.Usage {
						t.Errorf("%s: want conftest to refuse (exit 1) and assay too (exit 2); got %d and %d\n%s\n%s", c, want.Code, got.Code, clog, alog)
					}
					continue
				}
				if want.Code != got.Code {
					t.Errorf("%s: exit code: conftest %d, assay %d\n%s\n%s", c, want.Code, got.Code, clog, alog)
					continue
				}
				if len(got.Exceptions) > 0 {
					cov.add("exceptions applied", dir)
				}
				checkExceptions(t, c, got.Exceptions, want.Exceptions)
				want.Exceptions, got.Exceptions = nil, nil
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: results differ (-conftest +assay):\n%s\n%s\n%s", c, diff, clog, alog)
				}
			}
		})
	}
	if t.Failed() {
		return
	}
	if dirs < 25 {
		t.Errorf("the corpus has %d policy directories, want at least 25", dirs)
	}
	items := []string{"exceptions applied", "exceptions", "--data", "--combine", "--namespace", "--all-namespaces",
		"default namespace main", "multi-document YAML", "stdin", "exit 0", "exit 1", "refused", "verify", "verify failing"}
	for _, item := range items {
		if n := len(cov[item]); n < 2 {
			t.Errorf("%s is covered by %d corpus directories, want at least 2", item, n)
		}
	}
	for _, item := range items {
		t.Logf("%-24s %d directories", item, len(cov[item]))
	}
}

// checkExceptions checks that every rule assay excepted, conftest excepted
// too. The converse is left to the comparison of failures and warnings: a
// rule conftest excepted that assay did not would leave a finding there.
// Only conftest counts an exception for a rule that found nothing, where
// assay has no finding to mark (docs/bundles.md).
func checkExceptions(t *testing.T, c parityCase, got, want []string) {
	t.Helper()
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("%s: assay excepted %s, conftest did not (conftest: %q)", c, g, want)
		}
	}
}

func noteCoverage(cov parityCoverage, c parityCase, conftest outcome) {
	has := func(flags ...string) bool {
		for _, a := range c.args {
			for _, f := range flags {
				if a == f || strings.HasPrefix(a, f+"=") {
					return true
				}
			}
		}
		return false
	}
	switch c.kind {
	case "refuse":
		cov.add("refused", c.dir)
		return
	case "verify":
		cov.add("verify", c.dir)
		if conftest.Code == 1 {
			cov.add("verify failing", c.dir)
		}
		return
	}
	cov.add(fmt.Sprintf("exit %d", conftest.Code), c.dir)
	if len(conftest.Exceptions) > 0 {
		cov.add("exceptions", c.dir)
	}
	if has("-d", "--data") {
		cov.add("--data", c.dir)
	}
	if has("--combine") {
		cov.add("--combine", c.dir)
	}
	if has("-n", "--namespace") {
		cov.add("--namespace", c.dir)
	}
	if has("--all-namespaces") {
		cov.add("--all-namespaces", c.dir)
	}
	if !has("-n", "--namespace", "--all-namespaces") && otherPackages() {
		cov.add("default namespace main", c.dir)
	}
	if c.stdin != "" {
		cov.add("stdin", c.dir)
	}
	for _, a := range append([]string{c.stdin}, c.args...) {
		if data, err := os.ReadFile(a); err == nil && bytes.Contains(data, []byte("\n---\n")) {
			cov.add("multi-document YAML", c.dir)
		}
	}
}

// otherPackages says whether the policy directory (the working directory's
// policy/) has packages with rules besides main, which the default
// namespace leaves out.
func otherPackages() bool {
	found := false
	pkg := regexp.MustCompile(`(?m)^package ([\w.]+)`)
	_ = filepath.WalkDir("policy", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return nil
		}
		data, _ := os.ReadFile(p)
		if m := pkg.FindSubmatch(data); m != nil && string(m[1]) != "main" && bytes.Contains(data, []byte("deny")) {
			found = true
		}
		return nil
	})
	return found
}
