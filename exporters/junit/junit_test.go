package junit_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/exporters/junit"
	"github.com/assay-dev/assay/internal/golden"
)

// element is a generic XML tree, so the checks below see exactly what a CI
// parser sees rather than our own struct types.
type element struct {
	name     string
	attrs    map[string]string
	children []*element
	text     string
}

func parse(t *testing.T, b []byte) *element {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []*element
	var root *element
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &element{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, e)
			} else if root != nil {
				t.Fatal("two root elements")
			} else {
				root = e
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		}
	}
	if root == nil {
		t.Fatal("empty document")
	}
	return root
}

// rule is one element of the Jenkins JUnit schema (junit-10.xsd, the common
// denominator of Jenkins, GitLab, Azure DevOps and the GitHub test-report
// actions): allowed and required attributes, numeric attributes, and the
// children in their sequence order with their maximum counts.
type rule struct {
	attrs    []string
	required []string
	numeric  []string
	sequence []child
	mixed    bool
}

type child struct {
	name string
	max  int // 0: unbounded
}

var jenkinsSchema = map[string]rule{
	"testsuites": {attrs: []string{"name", "time", "tests", "failures", "disabled", "errors"}, numeric: []string{"time", "tests", "failures", "disabled", "errors"},
		sequence: []child{{"testsuite", 0}}},
	"testsuite": {attrs: []string{"name", "tests", "failures", "errors", "time", "disabled", "skipped", "timestamp", "hostname", "id", "package", "file", "log", "url", "version"},
		required: []string{"name", "tests"}, numeric: []string{"tests", "failures", "errors", "time", "disabled", "skipped", "id"},
		sequence: []child{{"properties", 1}, {"testcase", 0}, {"system-out", 1}, {"system-err", 1}}},
	"properties": {sequence: []child{{"property", 0}}},
	"property":   {attrs: []string{"name", "value"}, required: []string{"name", "value"}},
	"testcase": {attrs: []string{"name", "assertions", "time", "classname", "status", "class", "file", "line"}, required: []string{"name"},
		numeric: []string{"time", "assertions", "line"}, sequence: []child{{"skipped", 1}, {"error", 0}, {"failure", 0}, {"system-out", 0}, {"system-err", 0}}},
	"skipped":    {attrs: []string{"message"}, mixed: true},
	"error":      {attrs: []string{"message", "type"}, mixed: true},
	"failure":    {attrs: []string{"message", "type"}, mixed: true},
	"system-out": {mixed: true},
	"system-err": {mixed: true},
}

// checkDoc checks the whole document: assay always writes <testsuites>.
func checkDoc(root *element) []string {
	if root.name != "testsuites" {
		return []string{"root is <" + root.name + ">, want <testsuites>"}
	}
	return checkSchema(root, "")
}

func checkSchema(e *element, path string) []string {
	var errs []string
	r, ok := jenkinsSchema[e.name]
	if !ok {
		return []string{path + ": unknown element <" + e.name + ">"}
	}
	path += "/" + e.name
	for a := range e.attrs {
		if !contains(r.attrs, a) {
			errs = append(errs, fmt.Sprintf("%s: attribute %q not allowed", path, a))
		}
	}
	for _, a := range r.required {
		if _, ok := e.attrs[a]; !ok {
			errs = append(errs, fmt.Sprintf("%s: attribute %q missing", path, a))
		}
	}
	for _, a := range r.numeric {
		if v, ok := e.attrs[a]; ok {
			if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 {
				errs = append(errs, fmt.Sprintf("%s: %s=%q is not a non-negative number", path, a, v))
			}
		}
	}
	if !r.mixed && strings.TrimSpace(e.text) != "" {
		errs = append(errs, path+": text not allowed")
	}
	pos, count := 0, 0
	for _, c := range e.children {
		for pos < len(r.sequence) && r.sequence[pos].name != c.name {
			pos, count = pos+1, 0
		}
		if pos == len(r.sequence) {
			errs = append(errs, fmt.Sprintf("%s: <%s> not allowed here (order %v)", path, c.name, r.sequence))
			break
		}
		count++
		if m := r.sequence[pos].max; m > 0 && count > m {
			errs = append(errs, fmt.Sprintf("%s: more than %d <%s>", path, m, c.name))
		}
		errs = append(errs, checkSchema(c, path)...)
	}
	if e.name == "properties" && len(e.children) == 0 {
		errs = append(errs, path+": empty <properties>")
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkCounts: the counters CI systems show must match the elements.
func checkCounts(t *testing.T, root *element) {
	t.Helper()
	var tests, failures, errs int
	for _, s := range root.children {
		var st, sf, se, ss int
		for _, c := range s.children {
			if c.name != "testcase" {
				continue
			}
			st++
			var hasF, hasE, hasS bool
			for _, k := range c.children {
				hasF = hasF || k.name == "failure"
				hasE = hasE || k.name == "error"
				hasS = hasS || k.name == "skipped"
			}
			if hasF {
				sf++
			}
			if hasE {
				se++
			}
			if hasS {
				ss++
			}
		}
		want := map[string]int{"tests": st, "failures": sf, "errors": se, "skipped": ss}
		for k, v := range want {
			if s.attrs[k] != strconv.Itoa(v) {
				t.Errorf("suite %s: %s=%s, counted %d", s.attrs["name"], k, s.attrs[k], v)
			}
		}
		tests, failures, errs = tests+st, failures+sf, errs+se
	}
	for k, v := range map[string]int{"tests": tests, "failures": failures, "errors": errs} {
		if root.attrs[k] != strconv.Itoa(v) {
			t.Errorf("testsuites %s=%s, counted %d", k, root.attrs[k], v)
		}
	}
}

func export(t *testing.T, r *report.Report) []byte {
	t.Helper()
	f := junit.Format()
	var buf bytes.Buffer
	if err := f.New(&buf, exporters.Options{}).Export(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for _, c := range exportertest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			out := export(t, c.Report)
			root := parse(t, out)
			if errs := checkDoc(root); len(errs) > 0 {
				t.Errorf("not valid against the Jenkins JUnit schema:\n%s", strings.Join(errs, "\n"))
			}
			checkCounts(t, root)
			golden.Check(t, c.Name+".xml", out)
		})
	}
}

// TestCheckerRejects proves the schema check can fail.
func TestCheckerRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"wrong root":          `<testsuite name="a" tests="0"/>`,
		"testcase name":       `<testsuites><testsuite name="a" tests="1"><testcase classname="x"/></testsuite></testsuites>`,
		"failure before skip": `<testsuites><testsuite name="a" tests="1"><testcase name="x"><failure/><skipped/></testcase></testsuite></testsuites>`,
		"two skipped":         `<testsuites><testsuite name="a" tests="1"><testcase name="x"><skipped/><skipped/></testcase></testsuite></testsuites>`,
		"bad number":          `<testsuites><testsuite name="a" tests="many"/></testsuites>`,
		"unknown attribute":   `<testsuites skipped="1"/>`,
	} {
		t.Run(name, func(t *testing.T) {
			if errs := checkDoc(parse(t, []byte(doc))); len(errs) == 0 {
				t.Error("checker accepted an invalid document")
			}
		})
	}
}

func TestContent(t *testing.T) {
	root := parse(t, export(t, exportertest.Violations()))
	suites := map[string]*element{}
	for _, s := range root.children {
		suites[s.attrs["name"]] = s
	}
	if len(suites) != 2 || suites["ssh-baseline"] == nil || suites["files"] == nil {
		t.Fatalf("want one suite per bundle, got %v", suites)
	}
	cases := map[string]*element{}
	for _, s := range root.children {
		for _, c := range s.children {
			if c.name == "testcase" {
				cases[c.attrs["name"]] = c
			}
		}
	}
	kids := func(name string) string {
		c := cases[name]
		if c == nil {
			t.Fatalf("no testcase %q in %v", name, cases)
		}
		var out []string
		for _, k := range c.children {
			out = append(out, k.name+":"+k.attrs["message"])
		}
		return strings.Join(out, "|")
	}
	for name, want := range map[string]string{
		"sshd-password-auth [web-1]":     "failure:/etc/ssh/sshd_config:58: PasswordAuthentication is yes|system-out:",
		"authorized-keys-format [web-1]": "failure:/home/alice/.ssh/authorized_keys:3: line is not a public key|failure:/home/alice/.ssh/authorized_keys:9: line is not a public key|system-out:",
		"sshd-root-login [web-1]":        "system-out:",
		"sshd-banner [web-1]":            "system-out:",
		"sshd-absent [web-1]":            "skipped:no document to judge|system-out:",
		"sshd-match [web-1]":             "error:evaluation failed: eval_conflict_error: functions must not produce multiple outputs|system-out:",
		"collect file.slow [web-1]":      "error:collector file.slow timeout: context deadline exceeded after 5m0s",
		"rogue-mac [web-1]":              "failure:unknown MAC 02:42:ac:11:00:99 on eth0|system-out:",
	} {
		if got := kids(name); got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	if !strings.Contains(cases["sshd-banner [web-1]"].children[0].text, "warning: /etc/ssh/sshd_config: no Banner is set") {
		t.Errorf("warning not in system-out: %q", cases["sshd-banner [web-1]"].children[0].text)
	}
}

// TestInvalidXMLCharacters: a control character in a message must not make
// the document unparsable.
func TestInvalidXMLCharacters(t *testing.T) {
	out := export(t, exportertest.RootPaths())
	if bytes.Contains(out, []byte{1}) {
		t.Error("raw control character in output")
	}
	parse(t, out)
}

func TestErrors(t *testing.T) {
	exportertest.CheckErrors(t, func(w io.Writer) exporters.Exporter { return junit.New(w, exporters.Options{}) })
}

// TestStillRunning: a collector not started because its earlier run has not
// returned is an error testcase, as a timeout is.
func TestStillRunning(t *testing.T) {
	r := exportertest.Violations()
	r.Collectors = append(r.Collectors, report.CollectorResult{Bundle: "files", Type: "file", Name: "stuck", Status: report.CollectorStillRunning,
		Error: "not started: its run from an earlier scan has not returned since it was abandoned 3s ago, past its deadline"})
	root := parse(t, export(t, r))
	want := "error:collector file.stuck still_running: not started: its run from an earlier scan has not returned since it was abandoned 3s ago, past its deadline"
	for _, s := range root.children {
		for _, c := range s.children {
			if c.name == "testcase" && c.attrs["name"] == "collect file.stuck [web-1]" {
				if len(c.children) != 1 || c.children[0].name+":"+c.children[0].attrs["message"] != want {
					t.Errorf("testcase %v, want one %s", c.children, want)
				}
				return
			}
		}
	}
	t.Error("no testcase for the collector still running")
}

// TestUnlistedPolicy: a finding of a policy the report does not list gets
// a testcase of its own, and never a second one for a listed policy whose
// findings come after it (the lookup must not search the policies made up
// from findings, which are out of order).
func TestUnlistedPolicy(t *testing.T) {
	r := &report.Report{Target: exportertest.Violations().Target, Host: "web-1"}
	for _, id := range []string{"a", "b", "c", "d"} {
		r.Policies = append(r.Policies, report.PolicyResult{Bundle: id, ID: "p", Severity: report.SeverityLow, Status: report.StatusFail})
	}
	r.Findings = []report.Finding{
		{Bundle: "b", PolicyID: "unlisted", Kind: report.Deny, Severity: report.SeverityHigh, Message: "first"},
		{Bundle: "d", PolicyID: "p", Kind: report.Deny, Severity: report.SeverityLow, Message: "second"},
	}
	root := parse(t, export(t, r))
	var cases []string
	for _, s := range root.children {
		for _, c := range s.children {
			if c.name == "testcase" {
				cases = append(cases, c.attrs["classname"])
			}
		}
	}
	if got, want := strings.Join(cases, " "), "a.p b.p b.unlisted c.p d.p"; got != want {
		t.Errorf("testcases %s, want %s", got, want)
	}
}
