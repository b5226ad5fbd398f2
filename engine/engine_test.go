package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

// brief is the part of a finding the rule-form tests compare.
type brief struct {
	Kind    report.FindingKind
	Message string
	Path    string
	Line    int
	Details map[string]any
}

func briefs(fs []report.Finding) []brief {
	out := []brief{}
	for _, f := range fs {
		out = append(out, brief{f.Kind, f.Message, f.Path, f.Line, f.Details})
	}
	return out
}

func mustNew(t testing.TB, bundles []*bundle.Bundle, opts ...Option) *Engine {
	t.Helper()
	e, err := New(context.Background(), bundles, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

func mustEval(t testing.TB, e *Engine, in Input) *Result {
	t.Helper()
	res, err := e.Eval(context.Background(), in)
	if err != nil {
		t.Fatalf("Eval: %v", err)
	}
	return res
}

func TestEvalRuleForms(t *testing.T) {
	docA := document.Entry{Document: document.Document{"x": 2, "path": "/etc/a"}}
	tests := []struct {
		name       string
		rego       string
		doc        document.Entry
		want       []brief
		wantStatus report.Status
		wantErr    string // substring of the policy's error
	}{
		{
			name: "deny set of strings",
			rego: `deny contains "one" if input.x > 1
deny contains "two" if input.x > 1`,
			want:       []brief{{report.Deny, "one", "/etc/a", 0, nil}, {report.Deny, "two", "/etc/a", 0, nil}},
			wantStatus: report.StatusFail,
		},
		{
			name:       "violation is a deny",
			rego:       `violation contains msg if { msg := sprintf("x=%d", [input.x]) }`,
			want:       []brief{{report.Deny, "x=2", "/etc/a", 0, nil}},
			wantStatus: report.StatusFail,
		},
		{
			name:       "warn only",
			rego:       `warn contains "careful" if input.x == 2`,
			want:       []brief{{report.Warn, "careful", "/etc/a", 0, nil}},
			wantStatus: report.StatusWarn,
		},
		{
			name: "suffixed variants",
			rego: `deny_root contains "d" if true
violation_perm contains "v" if true
warn_old contains "w" if true
denyall contains "not a finding rule" if true`,
			want: []brief{
				{report.Deny, "d", "/etc/a", 0, nil},
				{report.Deny, "v", "/etc/a", 0, nil},
				{report.Warn, "w", "/etc/a", 0, nil},
			},
			wantStatus: report.StatusFail,
		},
		{
			name: "object result with path, line and details",
			rego: `deny contains {"msg": "bad key", "path": "/root/.ssh/authorized_keys", "line": 7, "key": "ssh-dss", "n": 3} if true`,
			want: []brief{{report.Deny, "bad key", "/root/.ssh/authorized_keys", 7,
				map[string]any{"key": "ssh-dss", "n": json.Number("3")}}},
			wantStatus: report.StatusFail,
		},
		{
			name:       "object result without path takes the document's",
			rego:       `deny contains {"msg": "m", "line": "12"} if true`,
			want:       []brief{{report.Deny, "m", "/etc/a", 12, nil}},
			wantStatus: report.StatusFail,
		},
		{
			name:       "document file when the document has no path",
			rego:       `deny contains "m" if true`,
			doc:        document.Entry{File: "deploy.json", Document: document.Document{"x": 1}},
			want:       []brief{{report.Deny, "m", "deploy.json", 0, nil}},
			wantStatus: report.StatusFail,
		},
		{
			name:       "complete rule with an array",
			rego:       `deny := ["a", "b"]`,
			want:       []brief{{report.Deny, "a", "/etc/a", 0, nil}, {report.Deny, "b", "/etc/a", 0, nil}},
			wantStatus: report.StatusFail,
		},
		{
			name: "boolean rule takes the title as message",
			rego: `deny if input.x == 2
warn if input.x == 3`,
			want:       []brief{{report.Deny, "Test policy", "/etc/a", 0, nil}},
			wantStatus: report.StatusFail,
		},
		{
			name:       "nothing found",
			rego:       `deny contains "never" if input.x > 100`,
			want:       []brief{},
			wantStatus: report.StatusPass,
		},
		{
			name:       "non-string msg is a policy error",
			rego:       `deny contains {"msg": 42} if true`,
			want:       []brief{},
			wantStatus: report.StatusError,
			wantErr:    `document "/etc/a": rule deny returned {"msg": 42}: an object result needs a string "msg"`,
		},
		{
			name:       "number result is a policy error",
			rego:       `deny contains 7 if true`,
			want:       []brief{},
			wantStatus: report.StatusError,
			wantErr:    `rule deny returned 7: want a string or an object`,
		},
		{
			name:       "bad line is a policy error",
			rego:       `deny contains {"msg": "m", "line": "seven"} if true`,
			want:       []brief{},
			wantStatus: report.StatusError,
			wantErr:    `rule deny returned line "seven": want a non-negative integer`,
		},
		{
			name: "runtime conflict is a policy error",
			rego: `v := input.x
v := 3
deny contains "m" if v`,
			want:       []brief{},
			wantStatus: report.StatusError,
			wantErr:    "eval_conflict_error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBundle(t, "b", nil, pol{id: "p", title: "Test policy", rego: "package t\n" + tt.rego})
			e := mustNew(t, []*bundle.Bundle{b})
			d := tt.doc
			if d.Document == nil {
				d = docA
			}
			res := mustEval(t, e, Input{Documents: []document.Entry{d}, Target: target.Info{Name: "/"}})
			if got := briefs(res.Findings); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("findings:\n got %#v\nwant %#v", got, tt.want)
			}
			p := res.Policies[0]
			if p.Status != tt.wantStatus {
				t.Errorf("status = %s, want %s (error %q)", p.Status, tt.wantStatus, p.Error)
			}
			if !strings.Contains(p.Error, tt.wantErr) || (tt.wantErr == "") != (p.Error == "") {
				t.Errorf("error = %q, want it to contain %q", p.Error, tt.wantErr)
			}
			if p.Findings != len(tt.want) || p.Documents != 1 {
				t.Errorf("policy counts findings=%d documents=%d, want %d and 1", p.Findings, p.Documents, len(tt.want))
			}
		})
	}
}

func TestFindingFields(t *testing.T) {
	b := newBundle(t, "ssh", nil, pol{id: "root-login", title: "Root login", severity: report.SeverityHigh,
		inputs: []string{"sshd_config.main"},
		rego: `package assay.ssh.root
deny contains {"msg": "PermitRootLogin is yes", "line": 3} if input.settings.permitrootlogin == "yes"`})
	b.Policies[0].Controls = []string{"CIS-5.2.10"}
	b.Policies[0].Remediation = "Set PermitRootLogin no."
	e := mustNew(t, []*bundle.Bundle{b})
	res := mustEval(t, e, Input{
		Target: target.Info{Kind: target.KindHost, Name: "/"},
		Documents: []document.Entry{{Bundle: "ssh", CollectorID: "sshd_config.main", Document: document.Document{
			"kind": "sshd_config", "collector": "main", "path": "/etc/ssh/sshd_config",
			"settings": map[string]any{"permitrootlogin": "yes"},
		}}},
	})
	want := report.Finding{
		Bundle: "ssh", PolicyID: "root-login", Title: "Root login", Kind: report.Deny,
		Severity: report.SeverityHigh, Enforcement: report.Mandatory, Controls: []string{"CIS-5.2.10"},
		Message: "PermitRootLogin is yes", Remediation: "Set PermitRootLogin no.", Target: "/",
		Collector: "sshd_config.main", Path: "/etc/ssh/sshd_config", Line: 3,
	}
	want.ComputeFingerprint()
	if len(res.Findings) != 1 || !reflect.DeepEqual(res.Findings[0], want) {
		t.Fatalf("findings = %#v\nwant %#v", res.Findings, want)
	}
	wantPolicy := report.PolicyResult{
		Bundle: "ssh", ID: "root-login", Title: "Root login", Severity: report.SeverityHigh,
		Enforcement: report.Mandatory, Controls: []string{"CIS-5.2.10"}, Remediation: "Set PermitRootLogin no.",
		Source: "ssh/bundle.hcl:10", Status: report.StatusFail, Documents: 1, Findings: 1,
	}
	if !reflect.DeepEqual(res.Policies, []report.PolicyResult{wantPolicy}) {
		t.Fatalf("policies = %#v\nwant %#v", res.Policies, wantPolicy)
	}
}

// TestEvalMatching checks which documents each policy takes.
func TestEvalMatching(t *testing.T) {
	count := `package %s
deny contains sprintf("%%s/%%s", [object.get(input, "tag", ""), "%s"]) if true`
	mk := func(bname, id string, inputs []string) *bundle.Bundle {
		return newBundle(t, bname, nil, pol{id: id, inputs: inputs, rego: fmt.Sprintf(count, id, id)})
	}
	a := mk("a", "a_all", nil)
	a.Policies = append(a.Policies, mk("a", "a_files", []string{"file.keys"}).Policies...)
	a.Modules = append(a.Modules, a.Policies[1].Module)
	b := mk("b", "b_all", nil)
	b.Policies = append(b.Policies, mk("b", "b_files", []string{"file.keys"}).Policies...)
	b.Modules = append(b.Modules, b.Policies[1].Module)
	c := mk("c", "c_none", []string{"sshd_config.main"})

	docs := []document.Entry{
		{Bundle: "a", CollectorID: "file.keys", Document: document.Document{"tag": "a-keys"}},
		{Bundle: "a", CollectorID: "host.h", Document: document.Document{"tag": "a-host"}},
		{Bundle: "b", CollectorID: "file.keys", Document: document.Document{"tag": "b-keys"}},
		{Bundle: "", CollectorID: "file.keys", Document: document.Document{"tag": "free-keys"}},
		{Bundle: "", CollectorID: "", Document: document.Document{"tag": "free"}},
	}
	e := mustNew(t, []*bundle.Bundle{a, b, c})
	res := mustEval(t, e, Input{Documents: docs})
	got := map[string][]string{}
	for _, f := range res.Findings {
		got[f.PolicyID] = append(got[f.PolicyID], f.Message)
	}
	want := map[string][]string{
		"a_all":   {"a-host/a_all", "a-keys/a_all", "free-keys/a_all", "free/a_all"},
		"a_files": {"a-keys/a_files", "free-keys/a_files"},
		"b_all":   {"b-keys/b_all", "free-keys/b_all", "free/b_all"},
		"b_files": {"b-keys/b_files", "free-keys/b_files"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings by policy:\n got %v\nwant %v", got, want)
	}
	status := map[string]string{}
	for _, p := range res.Policies {
		status[p.ID] = fmt.Sprintf("%s/%d", p.Status, p.Documents)
	}
	wantStatus := map[string]string{"a_all": "fail/4", "a_files": "fail/2", "b_all": "fail/3", "b_files": "fail/2", "c_none": "skip/0"}
	if !reflect.DeepEqual(status, wantStatus) {
		t.Errorf("statuses:\n got %v\nwant %v", status, wantStatus)
	}
}

func TestEvalAggregate(t *testing.T) {
	b := newBundle(t, "net", nil,
		pol{id: "rogue", mode: bundle.Aggregate, inputs: []string{"netmac.neighbors", "netmac.interfaces"}, rego: `package rogue
own contains d.mac if { some d in input.documents; d.kind == "net.interface" }
deny contains {"msg": sprintf("unknown MAC %s", [d.mac]), "path": d.ip} if {
	some d in input.documents
	d.kind == "net.neighbor"
	not own[d.mac]
}
warn contains sprintf("%d documents", [count(input.documents)]) if true`},
		pol{id: "empty", mode: bundle.Aggregate, inputs: []string{"nothing.here"}, rego: `package empty
deny contains "x" if true`})
	docs := []document.Entry{
		{Bundle: "net", CollectorID: "netmac.interfaces", Document: document.Document{"kind": "net.interface", "mac": "aa"}},
		{Bundle: "net", CollectorID: "netmac.neighbors", Document: document.Document{"kind": "net.neighbor", "mac": "aa", "ip": "10.0.0.1"}},
		{Bundle: "net", CollectorID: "netmac.neighbors", Document: document.Document{"kind": "net.neighbor", "mac": "bb", "ip": "10.0.0.2"}},
		{Bundle: "net", CollectorID: "file.x", Document: document.Document{"kind": "file"}},
	}
	res := mustEval(t, mustNew(t, []*bundle.Bundle{b}), Input{Documents: docs})
	want := []brief{{report.Warn, "3 documents", "", 0, nil}, {report.Deny, "unknown MAC bb", "10.0.0.2", 0, nil}}
	if got := briefs(res.Findings); !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n got %#v\nwant %#v", got, want)
	}
	if res.Findings[1].Collector != "" {
		t.Errorf("aggregate over two collectors has collector %q, want none", res.Findings[0].Collector)
	}
	byID := map[string]report.PolicyResult{}
	for _, p := range res.Policies {
		byID[p.ID] = p
	}
	if p := byID["rogue"]; p.Status != report.StatusFail || p.Documents != 3 {
		t.Errorf("rogue: status %s documents %d, want fail 3", p.Status, p.Documents)
	}
	if p := byID["empty"]; p.Status != report.StatusSkip {
		t.Errorf("empty: status %s, want skip", p.Status)
	}
}

func TestEvalDataAndHost(t *testing.T) {
	b1 := newBundle(t, "one", map[string]any{"lists": map[string]any{"allowed": []any{"ed25519"}}},
		pol{id: "uses_data", rego: `package uses_data
deny contains sprintf("%s not in %v", [input.algo, data.lists.allowed]) if not input.algo in data.lists.allowed
deny contains sprintf("limit %d", [data.limits.max]) if input.n > data.limits.max`})
	b2 := newBundle(t, "two", map[string]any{"lists": map[string]any{"other": []any{1}}, "limits": map[string]any{"max": 3}},
		pol{id: "uses_host", rego: `package uses_host
warn contains sprintf("on %s", [data.assay.host.hostname]) if data.assay.host.hostname`})
	e := mustNew(t, []*bundle.Bundle{b1, b2})
	docs := []document.Entry{{Document: document.Document{"algo": "rsa", "n": 5}}}

	for _, host := range []string{"alpha", "beta"} {
		res := mustEval(t, e, Input{Documents: docs, Host: document.Document{"hostname": host}})
		var msgs []string
		for _, f := range res.Findings {
			msgs = append(msgs, f.Message)
		}
		want := []string{"limit 3", `rsa not in ["ed25519"]`, "on " + host}
		if !reflect.DeepEqual(msgs, want) {
			t.Errorf("host %s: messages %q, want %q", host, msgs, want)
		}
	}
	// No host facts: data.assay.host is an empty object, not the last one.
	res := mustEval(t, e, Input{Documents: docs})
	for _, f := range res.Findings {
		if strings.HasPrefix(f.Message, "on ") {
			t.Errorf("stale host facts: %q", f.Message)
		}
	}
}

func TestNewDataErrors(t *testing.T) {
	p := pol{id: "p", rego: "package p\ndeny contains 1 if false"}
	tests := []struct {
		name    string
		data    [2]map[string]any
		wantErr string
	}{
		{"clash between bundles", [2]map[string]any{{"x": 1}, {"x": 2}}, `bundle "b2": data: data.x is defined by two bundles`},
		{"nested clash", [2]map[string]any{{"x": map[string]any{"y": 1}}, {"x": map[string]any{"y": "z"}}}, "data.x.y is defined by two bundles"},
		{"host is reserved", [2]map[string]any{{"assay": map[string]any{"host": 1}}, nil}, "data.assay.host is reserved"},
		{"assay must be an object", [2]map[string]any{{"assay": 1}, nil}, "data.assay must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b1 := newBundle(t, "b1", tt.data[0], p)
			b2 := newBundle(t, "b2", tt.data[1], pol{id: "q", rego: "package q\ndeny contains 1 if false"})
			_, err := New(context.Background(), []*bundle.Bundle{b1, b2})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// diagLines renders diagnostics as "file:line:col: summary" for comparison.
func diagLines(t *testing.T, err error) []string {
	t.Helper()
	var diags hcl.Diagnostics
	if !errors.As(err, &diags) {
		t.Fatalf("error %v (%T) is not hcl.Diagnostics", err, err)
	}
	var out []string
	for _, d := range diags {
		// The summary names the kind of error, the detail says what is
		// wrong; both reach the user.
		s := d.Summary + ": " + d.Detail
		if d.Subject != nil {
			s = fmt.Sprintf("%s:%d:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, s)
		}
		out = append(out, s)
	}
	return out
}

func TestNewCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		rego string
		want []string
	}{
		{
			name: "http.send refused",
			rego: "package p\ndeny contains r.body if { r := http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1\"}) }",
			want: []string{"b/p.rego:2:32: http.send is not allowed in assay policies"},
		},
		{
			name: "net.lookup_ip_addr refused",
			rego: "package p\ndeny contains \"x\" if {\n\tnet.lookup_ip_addr(\"localhost\")\n}",
			want: []string{"b/p.rego:3:2: net.lookup_ip_addr is not allowed in assay policies"},
		},
		{
			name: "json.match_schema refused",
			rego: "package p\ndeny contains \"x\" if {\n\t[ok, _] := json.match_schema(input, {\"$ref\": \"file:///etc/passwd\"})\n\tnot ok\n}",
			want: []string{"b/p.rego:3:13: json.match_schema is not allowed in assay policies"},
		},
		{
			name: "type error",
			rego: "package p\ndeny contains msg if { msg := 1 + \"a\" }",
			want: []string{"b/p.rego:2:31: Rego type error: Plus: invalid argument(s)"},
		},
		{
			name: "unsafe vars, sorted by position",
			rego: "package p\ndeny contains m if { m := y }\nwarn contains m if { m := z }",
			want: []string{
				"b/p.rego:2:22: Rego unsafe var error: Var y is unsafe",
				"b/p.rego:3:22: Rego unsafe var error: Var z is unsafe",
			},
		},
		{
			name: "undefined function",
			rego: "package p\ndeny contains x if { x := nosuch.fn(1) }",
			want: []string{"b/p.rego:2:27: Rego type error: Undefined function nosuch.fn"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBundle(t, "b", nil, pol{id: "p", rego: tt.rego})
			_, err := New(context.Background(), []*bundle.Bundle{b})
			got := diagLines(t, err)
			if len(got) != len(tt.want) {
				t.Fatalf("diagnostics:\n got %q\nwant %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("diagnostic %d:\n got %q\nwant prefix %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestNewPolicyErrors(t *testing.T) {
	b := newBundle(t, "b", nil, pol{id: "norules", rego: "package lib\nhelper := 1"})
	_, err := New(context.Background(), []*bundle.Bundle{b})
	got := diagLines(t, err)
	want := []string{`b/bundle.hcl:10:1: Policy has no finding rules: Package data.lib of policy "norules" defines no deny, violation or warn rule, so it can never report anything.`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("diagnostics %q, want %q", got, want)
	}
}

func TestSandboxRuntime(t *testing.T) {
	t.Setenv("ASSAY_SECRET_FOR_TEST", "leaked")
	b := newBundle(t, "b", nil, pol{id: "p", rego: `package p
deny contains sprintf("runtime %v", [opa.runtime()]) if true
deny contains "cidr works" if net.cidr_contains("10.0.0.0/8", "10.1.2.3")`})
	res := mustEval(t, mustNew(t, []*bundle.Bundle{b}), Input{Documents: []document.Entry{{Document: document.Document{}}}})
	var msgs []string
	for _, f := range res.Findings {
		msgs = append(msgs, f.Message)
	}
	want := []string{"cidr works", "runtime {}"}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("messages %q, want %q", msgs, want)
	}
}

// slowRego never finishes within a short deadline: it walks a billion
// combinations before failing.
const slowRego = `deny contains "never" if {
	some i in numbers.range(1, 1000)
	some j in numbers.range(1, 1000)
	some k in numbers.range(1, 1000)
	i + j + k < 0
}`

func TestEvalTimeoutIsolated(t *testing.T) {
	b := newBundle(t, "b", nil,
		pol{id: "slow", rego: "package slow\n" + slowRego},
		pol{id: "fast", rego: "package fast\ndeny contains sprintf(\"fast %s\", [input.n]) if true"})
	e := mustNew(t, []*bundle.Bundle{b}, WithEvalTimeout(50*time.Millisecond), WithParallelism(2))
	var docs []document.Entry
	for i := range 6 {
		docs = append(docs, document.Entry{Document: document.Document{"n": fmt.Sprint(i)}})
	}
	start := time.Now()
	res := mustEval(t, e, Input{Documents: docs})
	if elapsed := time.Since(start); elapsed > 30*time.Second {
		t.Errorf("Eval took %s: a timed-out policy must not be retried on every document", elapsed)
	}
	byID := map[string]report.PolicyResult{}
	for _, p := range res.Policies {
		byID[p.ID] = p
	}
	if p := byID["slow"]; p.Status != report.StatusError || p.Error != "evaluation exceeded 50ms" {
		t.Errorf("slow: status %s error %q, want error \"evaluation exceeded 50ms\"", p.Status, p.Error)
	}
	if p := byID["fast"]; p.Status != report.StatusFail || p.Findings != 6 {
		t.Errorf("fast: status %s findings %d, want fail with 6", p.Status, p.Findings)
	}
	if len(res.Findings) != 6 {
		t.Errorf("%d findings, want the 6 of the fast policy", len(res.Findings))
	}
}

func TestEvalErrorIsolation(t *testing.T) {
	b := newBundle(t, "b", nil,
		pol{id: "broken", rego: `package broken
v := input.a
v := input.b
deny contains "broken" if v`},
		pol{id: "good", rego: `package good
deny contains sprintf("good %v", [input.a]) if input.a > 0`},
		pol{id: "badmsg", rego: `package badmsg
warn contains {"msg": input.a} if input.a == 2`})
	docs := []document.Entry{
		{File: "one.json", Document: document.Document{"a": 1, "b": 1}},
		{File: "two.json", Document: document.Document{"a": 2, "b": 3}},
		{File: "three.json", Document: document.Document{"a": 3, "b": 4}},
	}
	res := mustEval(t, mustNew(t, []*bundle.Bundle{b}, WithParallelism(1)), Input{Documents: docs})
	byID := map[string]report.PolicyResult{}
	for _, p := range res.Policies {
		byID[p.ID] = p
	}
	if p := byID["broken"]; p.Status != report.StatusError ||
		!strings.HasPrefix(p.Error, `document "two.json": `) || !strings.Contains(p.Error, "eval_conflict_error") {
		t.Errorf("broken: status %s error %q, want an eval_conflict_error on two.json", p.Status, p.Error)
	}
	if p := byID["badmsg"]; p.Status != report.StatusError || !strings.Contains(p.Error, `document "two.json": rule warn returned {"msg": 2}`) {
		t.Errorf("badmsg: status %s error %q", p.Status, p.Error)
	}
	var msgs []string
	for _, f := range res.Findings {
		msgs = append(msgs, f.PolicyID+": "+f.Message)
	}
	// broken still judged one.json (a == b): its finding stays.
	want := []string{"broken: broken", "good: good 1", "good: good 3", "good: good 2"} // by path
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("findings %q, want %q", msgs, want)
	}
}

func TestPrintGoesToLogger(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := newBundle(t, "b", nil, pol{id: "p", rego: `package p
deny contains "x" if {
	print("checking", input.name)
	false
}`})
	mustEval(t, mustNew(t, []*bundle.Bundle{b}, WithLogger(logger)),
		Input{Documents: []document.Entry{{Document: document.Document{"name": "sshd"}}}})
	mu.Lock()
	defer mu.Unlock()
	out := buf.String()
	for _, want := range []string{"level=DEBUG", `msg="rego print"`, "location=b/p.rego:3", `msg="checking sshd"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestMetadataAnnotations(t *testing.T) {
	const annotated = `# METADATA
# title: Passwords are off
# description: Password authentication invites brute force.
# custom:
#   severity: critical
#   remediation: Set PasswordAuthentication no.
#   controls: [CIS-5.2.12]
#   enforcement: advisory
package %s

deny contains "x" if true`
	tests := []struct {
		name     string
		implicit bool
		hcl      pol
		want     report.PolicyResult
	}{
		{
			name: "annotations fill what HCL left unset",
			hcl:  pol{id: "p"},
			want: report.PolicyResult{ID: "p", Title: "Passwords are off", Description: "Password authentication invites brute force.",
				Severity: report.SeverityCritical, Enforcement: report.Mandatory, Remediation: "Set PasswordAuthentication no.",
				Controls: []string{"CIS-5.2.12"}},
		},
		{
			name: "HCL wins",
			hcl:  pol{id: "p", title: "From HCL", severity: report.SeverityLow},
			want: report.PolicyResult{ID: "p", Title: "From HCL", Description: "Password authentication invites brute force.",
				Severity: report.SeverityLow, Enforcement: report.Mandatory, Remediation: "Set PasswordAuthentication no.",
				Controls: []string{"CIS-5.2.12"}},
		},
		{
			name:     "implicit bundles take everything from annotations",
			implicit: true,
			hcl:      pol{id: "p"},
			want: report.PolicyResult{ID: "p", Title: "Passwords are off", Description: "Password authentication invites brute force.",
				Severity: report.SeverityCritical, Enforcement: report.Advisory, Remediation: "Set PasswordAuthentication no.",
				Controls: []string{"CIS-5.2.12"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.hcl
			p.rego = fmt.Sprintf(annotated, "pw")
			b := newBundle(t, "b", nil, p)
			b.Implicit = tt.implicit
			if tt.implicit {
				b.Policies[0].Enforcement = ""
			}
			res := mustEval(t, mustNew(t, []*bundle.Bundle{b}), Input{})
			got := res.Policies[0]
			got.Bundle, got.Source, got.Status = "", "", ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("policy:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}

	t.Run("loader parsed without annotations", func(t *testing.T) {
		src := fmt.Sprintf(annotated, "pw")
		b := newBundle(t, "b", nil, pol{id: "p", rego: src})
		b.Policies[0].Module.Parsed.Annotations = nil
		res := mustEval(t, mustNew(t, []*bundle.Bundle{b}), Input{})
		if got := res.Policies[0].Title; got != "Passwords are off" {
			t.Errorf("title %q, want it read from the source", got)
		}
	})

	t.Run("bad severity", func(t *testing.T) {
		b := newBundle(t, "b", nil, pol{id: "p", rego: "# METADATA\n# custom:\n#   severity: extreme\npackage p\ndeny contains 1 if false"})
		_, err := New(context.Background(), []*bundle.Bundle{b})
		got := diagLines(t, err)
		if len(got) != 1 || !strings.HasPrefix(got[0], "b/p.rego:1:1: Invalid custom.severity in METADATA") {
			t.Errorf("diagnostics %q", got)
		}
	})
}

// manyDocs builds n documents with varied content.
func manyDocs(n int) []document.Entry {
	docs := make([]document.Entry, n)
	for i := range docs {
		docs[i] = document.Entry{File: fmt.Sprintf("doc%05d.json", i), Document: document.Document{
			"replicas": i % 7,
			"image":    fmt.Sprintf("registry/app:%d", i%5),
			"labels":   map[string]any{"team": []string{"a", "b", "c"}[i%3]},
		}}
	}
	return docs
}

// benchPolicies are n policies, one package each, judging manyDocs.
func benchPolicies(t testing.TB, n int) *bundle.Bundle {
	var pols []pol
	for i := range n {
		pols = append(pols, pol{id: fmt.Sprintf("p%02d", i), rego: fmt.Sprintf(`package bench.p%02d
deny contains sprintf("replicas %%d over %d", [input.replicas]) if input.replicas > %d
warn contains {"msg": sprintf("team %%s", [input.labels.team]), "rule": %d} if input.labels.team == "%s"
deny contains "latest tag" if endswith(input.image, ":%d")`, i, i%7, i%7, i, []string{"a", "b", "c"}[i%3], i%5)})
	}
	return newBundle(t, "bench", nil, pols...)
}

func TestEvalDeterministic(t *testing.T) {
	b := benchPolicies(t, 12)
	docs := manyDocs(300)
	var first *Result
	for _, par := range []int{1, 3, 8} {
		res := mustEval(t, mustNew(t, []*bundle.Bundle{b}, WithParallelism(par)), Input{Documents: docs})
		if len(res.Findings) == 0 {
			t.Fatal("no findings")
		}
		if first == nil {
			first = res
			continue
		}
		if !reflect.DeepEqual(res, first) {
			t.Errorf("parallelism %d gives a different result", par)
		}
	}
	// Sorted as the report sorts.
	rep := report.Report{Findings: append([]report.Finding(nil), first.Findings...), Policies: append([]report.PolicyResult(nil), first.Policies...)}
	rep.Sort()
	if !reflect.DeepEqual(rep.Findings, first.Findings) || !reflect.DeepEqual(rep.Policies, first.Policies) {
		t.Error("result is not sorted as report.Report.Sort sorts")
	}
}

func TestEvalConcurrent(t *testing.T) {
	b := benchPolicies(t, 5)
	e := mustNew(t, []*bundle.Bundle{b}, WithParallelism(4))
	docs := manyDocs(100)
	want := mustEval(t, e, Input{Documents: docs})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			got, err := e.Eval(context.Background(), Input{Documents: docs})
			if err != nil {
				t.Error(err)
				return
			}
			if !reflect.DeepEqual(got, want) {
				t.Error("concurrent Eval gives a different result")
			}
		})
	}
	wg.Wait()
}

func TestEvalCancelled(t *testing.T) {
	b := newBundle(t, "b", nil, pol{id: "slow", rego: "package slow\n" + slowRego})
	e := mustNew(t, []*bundle.Bundle{b}, WithEvalTimeout(time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := e.Eval(ctx, Input{Documents: manyDocs(3)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Eval error = %v, want the caller's deadline", err)
	}
}

func TestEvalBadDocument(t *testing.T) {
	b := newBundle(t, "b", nil, pol{id: "p", rego: "package p\ndeny contains \"x\" if true"})
	res := mustEval(t, mustNew(t, []*bundle.Bundle{b}), Input{Documents: []document.Entry{
		{File: "bad.json", Document: document.Document{"ch": make(chan int)}},
		{File: "good.json", Document: document.Document{}},
	}})
	p := res.Policies[0]
	if p.Status != report.StatusError || !strings.HasPrefix(p.Error, `document "bad.json": convert to Rego`) {
		t.Errorf("status %s error %q", p.Status, p.Error)
	}
	if len(res.Findings) != 1 || res.Findings[0].Path != "good.json" {
		t.Errorf("findings %v, want the good document's", res.Findings)
	}
}
