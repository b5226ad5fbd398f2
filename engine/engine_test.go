package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

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
