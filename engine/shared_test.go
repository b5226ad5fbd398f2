package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
)

// sharedRego judges any search's documents; the label comes from a table
// keyed by collector, as the module assay mig import generates does.
const sharedRego = `package shared.searches

labels := {"s0": "zero", "s1": "one", "s2": "two"}

deny contains msg if {
	input.bad
	msg := sprintf("%s fails search %s", [input.path, labels[input.collector]])
}

warn contains "odd" if input.odd
`

// sharedBundle is n policies on one module, policy i taking the documents
// of collector file.si only, as the loader allows (disjoint inputs).
func sharedBundle(t testing.TB, n int) *bundle.Bundle {
	t.Helper()
	m := parseModule(t, "mig/shared.rego", sharedRego)
	b := &bundle.Bundle{Name: "mig", Source: "mig", Modules: []*bundle.Module{m}}
	for i := range n {
		b.Policies = append(b.Policies, &bundle.Policy{
			ID: fmt.Sprintf("p%d", i), Severity: report.SeverityHigh, Enforcement: report.Mandatory,
			Inputs: []string{fmt.Sprintf("file.s%d", i)}, Mode: bundle.PerDocument,
			Package: m.Parsed.Package.Path, Module: m,
			DeclRange: hcl.Range{Filename: "mig/bundle.hcl", Start: hcl.Pos{Line: i + 1, Column: 1}},
		})
	}
	return b
}

func searchDoc(i int, bad, odd bool) document.Entry {
	name := fmt.Sprintf("s%d", i)
	return document.Entry{Bundle: "mig", CollectorID: "file." + name, Document: document.Document{
		"kind": "file", "collector": name, "path": fmt.Sprintf("/home/u%d", i), "bad": bad, "odd": odd,
	}}
}

// TestSharedPackage: policies sharing one package each report the findings
// of their own documents only, once, and the engine prepares one query for
// all of them.
func TestSharedPackage(t *testing.T) {
	e := mustNew(t, []*bundle.Bundle{sharedBundle(t, 3)})
	res := mustEval(t, e, Input{Documents: []document.Entry{
		searchDoc(0, true, false), searchDoc(1, false, false), searchDoc(2, true, true), searchDoc(0, false, true),
	}})
	type got struct {
		Policy, Kind, Message string
	}
	var findings []got
	for _, f := range res.Findings {
		findings = append(findings, got{f.PolicyID, string(f.Kind), f.Message})
	}
	want := []got{
		{"p0", "deny", "/home/u0 fails search zero"},
		{"p0", "warn", "odd"},
		{"p2", "deny", "/home/u2 fails search two"},
		{"p2", "warn", "odd"},
	}
	if diff := cmp.Diff(want, findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	statuses := map[string]report.Status{}
	docs := map[string]int{}
	for _, p := range res.Policies {
		statuses[p.ID], docs[p.ID] = p.Status, p.Documents
	}
	if diff := cmp.Diff(map[string]report.Status{"p0": report.StatusFail, "p1": report.StatusPass, "p2": report.StatusFail}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"p0": 2, "p1": 1, "p2": 1}, docs); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	if len(e.queries) != 1 || len(e.bindings) != 3 {
		t.Errorf("prepared %d queries and %d bindings, want 1 query bound to 3 groups", len(e.queries), len(e.bindings))
	}
}

// TestSharedPackageOneGroup: were two policies of one document group on one
// package (a bundle the loader would refuse, built by hand), each still owns
// the package's findings, as when each was evaluated on its own.
func TestSharedPackageOneGroup(t *testing.T) {
	b := sharedBundle(t, 2)
	b.Policies[1].Inputs = b.Policies[0].Inputs
	e := mustNew(t, []*bundle.Bundle{b})
	res := mustEval(t, e, Input{Documents: []document.Entry{searchDoc(0, true, false)}})
	var ids []string
	for _, f := range res.Findings {
		ids = append(ids, f.PolicyID+": "+f.Message)
	}
	if diff := cmp.Diff([]string{"p0: /home/u0 fails search zero", "p1: /home/u0 fails search zero"}, ids); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// BenchmarkSharedPackage is an assay mig import bundle's shape: N policies
// on one package, one collector each, one document per collector. Engine
// construction is included: preparing a query per policy is what made
// 4,000 searches slow.
func BenchmarkSharedPackage(b *testing.B) {
	for _, n := range []int{1000, 4000} {
		bnd := sharedBundle(b, n)
		docs := make([]document.Entry, n)
		for i := range docs {
			docs[i] = searchDoc(i%3, i%100 == 0, false)
			docs[i].CollectorID = fmt.Sprintf("file.s%d", i)
		}
		b.Run(fmt.Sprintf("policies=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e, err := New(context.Background(), []*bundle.Bundle{bnd})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.Eval(context.Background(), Input{Documents: docs}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
