package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
)

// explainLines renders an explanation's lines as "ROW: TEXT # a = 1, b = 2"
// for comparison.
func explainLines(x Explanation) []string {
	var out []string
	for _, l := range x.Lines {
		s := fmt.Sprintf("%d: %s", l.Row, strings.TrimSpace(l.Text))
		if len(l.Values) > 0 {
			var vals []string
			for _, b := range l.Values {
				vals = append(vals, b.Name+" = "+b.Value)
			}
			s += " # " + strings.Join(vals, ", ")
		}
		out = append(out, s)
	}
	return out
}

func docEntry(collector string, doc document.Document) document.Entry {
	return document.Entry{Bundle: "b", CollectorID: collector, Document: doc}
}

func TestExplain(t *testing.T) {
	keys := document.Document{"kind": "file", "path": "/root/.ssh/authorized_keys",
		"lines": []any{"ssh-ed25519 AAAA", "ssh-dss BBBB"}}
	tests := []struct {
		name string
		rego string
		mode bundle.Mode
		docs []document.Document
		want map[string][]string // message → lines
	}{
		{
			name: "set rule: variables, a call compared, an input reference",
			rego: `package p

deny contains {"msg": msg, "line": i + 1} if {
	some i, line in input.lines
	startswith(line, "ssh-dss ")
	count(input.lines) > 1
	input.kind == "file"
	msg := sprintf("DSA key: %s", [line])
}`,
			docs: []document.Document{keys},
			want: map[string][]string{"DSA key: ssh-dss BBBB": {
				`3: deny contains {"msg": msg, "line": i + 1} if {`,
				`4: some i, line in input.lines # i = 1, line = "ssh-dss BBBB"`,
				`5: startswith(line, "ssh-dss ") # line = "ssh-dss BBBB"`,
				`6: count(input.lines) > 1 # count(input.lines) = 2`,
				`7: input.kind == "file" # input.kind = "file"`,
				`8: msg := sprintf("DSA key: %s", [line]) # msg = "DSA key: ssh-dss BBBB", line = "ssh-dss BBBB"`,
			}},
		},
		{
			name: "boolean rule and a negation: what was undefined",
			rego: `package p

deny if {
	not input.settings.passwordauthentication
	input.kind == "file"
}`,
			docs: []document.Document{keys},
			want: map[string][]string{"t": {
				`3: deny if {`,
				`4: not input.settings.passwordauthentication # input.settings.passwordauthentication = undefined`,
				`5: input.kind == "file" # input.kind = "file"`,
			}},
		},
		{
			name: "a reference into a variable selects, the helper's result is a variable",
			rego: `package p

parse(l) := {"type": t} if {
	t := split(l, " ")[0]
}

deny contains sprintf("key type %s", [e.type]) if {
	some line in input.lines
	e := parse(line)
	e.type == "ssh-dss"
}`,
			docs: []document.Document{keys},
			want: map[string][]string{"key type ssh-dss": {
				`7: deny contains sprintf("key type %s", [e.type]) if {`,
				`8: some line in input.lines # line = "ssh-dss BBBB"`,
				`9: e := parse(line) # e = {"type": "ssh-dss"}, line = "ssh-dss BBBB"`,
				`10: e.type == "ssh-dss" # e.type = "ssh-dss"`,
			}},
		},
		{
			name: "a loop selected in Go (select.go) reads as written",
			rego: `package p

deny contains msg if {
	some line in input.lines
	startswith(line, "ssh-")
	line == "ssh-dss BBBB"
	msg := sprintf("DSA key: %s", [line])
}`,
			docs: []document.Document{keys},
			want: map[string][]string{"DSA key: ssh-dss BBBB": {
				`3: deny contains msg if {`,
				`4: some line in input.lines # line = "ssh-dss BBBB"`,
				`5: startswith(line, "ssh-") # line = "ssh-dss BBBB"`,
				`6: line == "ssh-dss BBBB" # line = "ssh-dss BBBB"`,
				`7: msg := sprintf("DSA key: %s", [line]) # msg = "DSA key: ssh-dss BBBB", line = "ssh-dss BBBB"`,
			}},
		},
		{
			name: "aggregate: one evaluation over input.documents",
			rego: `package p

deny contains msg if {
	n := count(input.documents)
	n > 1
	msg := sprintf("%d documents", [n])
}`,
			mode: bundle.Aggregate,
			docs: []document.Document{keys, keys},
			want: map[string][]string{"2 documents": {
				`3: deny contains msg if {`,
				`4: n := count(input.documents) # n = 2`,
				`5: n > 1 # n = 2`,
				`6: msg := sprintf("%d documents", [n]) # msg = "2 documents", n = 2`,
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBundle(t, "b", nil, pol{id: "p", title: "t", inputs: []string{"file.keys"}, mode: tt.mode, rego: tt.rego})
			e := mustNew(t, []*bundle.Bundle{b})
			var docs []document.Entry
			for _, d := range tt.docs {
				docs = append(docs, docEntry("file.keys", d))
			}
			in := Input{Documents: docs}
			ex, err := e.Explain(context.Background(), in, "p", nil)
			if err != nil {
				t.Fatal(err)
			}
			if ex.Policy != "b/p" || len(ex.Explanations) != len(tt.want) {
				t.Fatalf("policy %q, %d explanations, want b/p and %d: %+v", ex.Policy, len(ex.Explanations), len(tt.want), ex.Explanations)
			}
			res := mustEval(t, e, in)
			for _, x := range ex.Explanations {
				want, ok := tt.want[x.Finding.Message]
				if !ok {
					t.Errorf("explains %q, which no case expects", x.Finding.Message)
					continue
				}
				if got := explainLines(x); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%q:\n got %s\nwant %s", x.Finding.Message, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
				}
				if x.File != "b/p.rego" || x.Rule != "deny" {
					t.Errorf("file %q rule %q, want b/p.rego and deny", x.File, x.Rule)
				}
				found := false
				for _, f := range res.Findings {
					found = found || f.Fingerprint == x.Finding.Fingerprint
				}
				if !found {
					t.Errorf("explained finding %q is not one Eval reports", x.Finding.Message)
				}
			}
		})
	}
}

// TestExplainBounds: at most MaxExplanations findings are explained and
// MaxExplainLines lines of a rule shown; the rest are counted.
func TestExplainBounds(t *testing.T) {
	var body strings.Builder
	for i := range 20 {
		fmt.Fprintf(&body, "\tinput.n > %d\n", i)
	}
	b := newBundle(t, "b", nil,
		pol{id: "many", inputs: []string{"x.y"}, rego: "package many\n\ndeny contains sprintf(\"n%d\", [i]) if {\n\tsome i in numbers.range(1, 150)\n}"},
		pol{id: "long", inputs: []string{"x.y"}, rego: "package long\n\ndeny contains \"long\" if {\n" + body.String() + "}"})
	e := mustNew(t, []*bundle.Bundle{b})
	in := Input{Documents: []document.Entry{docEntry("x.y", document.Document{"kind": "x", "n": 100})}}

	ex, err := e.Explain(context.Background(), in, "b/many", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Explanations) != MaxExplanations || ex.Unexplained != 150-MaxExplanations {
		t.Errorf("%d explained, %d not; want %d and %d", len(ex.Explanations), ex.Unexplained, MaxExplanations, 150-MaxExplanations)
	}

	ex, err = e.Explain(context.Background(), in, "long", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Explanations) != 1 {
		t.Fatalf("%d explanations", len(ex.Explanations))
	}
	if x := ex.Explanations[0]; len(x.Lines) != MaxExplainLines || x.Omitted != 21-MaxExplainLines {
		t.Errorf("%d lines, %d omitted; want %d and %d", len(x.Lines), x.Omitted, MaxExplainLines, 21-MaxExplainLines)
	}
}

func TestFindPolicy(t *testing.T) {
	e := mustNew(t, []*bundle.Bundle{
		newBundle(t, "b1", nil, pol{id: "sshd-password-auth", rego: "package a\ndeny contains 1 if false"}, pol{id: "dup", rego: "package b\ndeny contains 1 if false"}),
		newBundle(t, "b2", nil, pol{id: "dup", rego: "package c\ndeny contains 1 if false"}),
	})
	for _, tc := range []struct{ name, want, err string }{
		{"sshd-password-auth", "b1/sshd-password-auth", ""},
		{"b2/dup", "b2/dup", ""},
		{"dup", "", `policy "dup" is in several bundles: name it as BUNDLE/ID (b1/dup, b2/dup)`},
		{"sshd-pasword-auth", "", `no policy "sshd-pasword-auth" in the loaded bundles: did you mean "sshd-password-auth"?`},
		{"zzz", "", `no policy "zzz" in the loaded bundles (policies: b1/dup, b1/sshd-password-auth, b2/dup)`},
	} {
		got, err := e.FindPolicy(tc.name)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("FindPolicy(%q) = %q, %v; want %q, %q", tc.name, got, err, tc.want, tc.err)
		}
	}
}

// TestExplainSkipsExceptions: a conftest exception rule is evaluated with
// a policy's finding rules but reports nothing; Explain explains only the
// findings Eval reports.
func TestExplainSkipsExceptions(t *testing.T) {
	b := newBundle(t, "c", nil, pol{id: "p", rego: `package p

deny contains "bad" if input.n > 1

# A set of strings: conftest reads exception[_][_], so this excepts nothing.
exception contains "notarule" if true`})
	b.Implicit = true
	e := mustNew(t, []*bundle.Bundle{b})
	in := Input{Documents: []document.Entry{{Document: document.Document{"kind": "x", "n": 2}, File: "a.json"}}}
	res := mustEval(t, e, in)
	if len(res.Findings) != 1 || res.Findings[0].Message != "bad" || res.Findings[0].Waived != nil {
		t.Fatalf("Eval findings %+v, want \"bad\" alone, not waived", res.Findings)
	}
	ex, err := e.Explain(context.Background(), in, "p", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range ex.Explanations {
		got = append(got, x.Rule+": "+x.Finding.Message)
	}
	if want := []string{"deny: bad"}; !slices.Equal(got, want) {
		t.Errorf("explained %q, want %q", got, want)
	}
}
