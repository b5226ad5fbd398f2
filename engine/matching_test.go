package engine

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
)

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
