package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

// rogueFleet is the rogue-host join as a fleet policy: a neighbor MAC no
// target owns, reported at each target that sees it.
const rogueFleet = `package rogue
owned contains d.mac if { some t in input.targets; some d in t.documents; d.kind == "net.interface" }
deny contains {"msg": sprintf("MAC %s is owned by no target (%s)", [d.mac, t.labels.site]), "target": t.name} if {
	some t in input.targets
	some d in t.documents
	d.kind == "net.neighbor"
	not d.mac in owned
}
warn contains {"msg": sprintf("%d targets, %s is %s", [count(input.targets), t.name, t.host.hostname]), "target": t.name} if {
	some t in input.targets
	t.kind == "ssh"
}`

func iface(mac string) document.Entry {
	return document.Entry{Bundle: "net", CollectorID: "netmac.interfaces", Document: document.Document{"kind": "net.interface", "mac": mac}}
}

func neighbor(mac string) document.Entry {
	return document.Entry{Bundle: "net", CollectorID: "netmac.neighbors", Document: document.Document{"kind": "net.neighbor", "mac": mac}}
}

func fleetOf(docs ...[]document.Entry) []FleetTarget {
	var out []FleetTarget
	for i, d := range docs {
		name := fmt.Sprintf("h%d", i+1)
		out = append(out, FleetTarget{Target: target.Info{Kind: target.Kind("ssh"), Name: name}, Host: document.Document{"hostname": name + ".lan"},
			Labels: map[string]string{"site": "s" + name}, Documents: d})
	}
	return out
}

type fleetBrief struct {
	Target, Policy, Message string
	Kind                    report.FindingKind
}

type statusBrief struct {
	Policy    string
	Status    report.Status
	Documents int
	Findings  int
}

func summarizeFleet(res *FleetResult) (findings []fleetBrief, statuses [][]statusBrief) {
	for _, t := range res.Targets {
		var st []statusBrief
		for _, p := range t.Policies {
			st = append(st, statusBrief{p.ID, p.Status, p.Documents, p.Findings})
		}
		statuses = append(statuses, st)
		for _, f := range t.Findings {
			findings = append(findings, fleetBrief{f.Target, f.PolicyID, f.Message, f.Kind})
			if f.Fingerprint == "" {
				f.ComputeFingerprint()
			}
		}
	}
	return findings, statuses
}

func TestEvalFleet(t *testing.T) {
	b := newBundle(t, "net", nil,
		pol{id: "rogue", mode: bundle.Fleet, inputs: []string{"netmac.neighbors", "netmac.interfaces"}, rego: rogueFleet},
		pol{id: "per-doc", inputs: []string{"netmac.neighbors"}, rego: `package perdoc
deny contains sprintf("neighbor %s", [input.mac]) if input.kind == "net.neighbor"`},
		pol{id: "none", mode: bundle.Fleet, inputs: []string{"nothing.here"}, rego: `package none
deny contains {"msg": "x", "target": input.targets[0].name} if true`})
	e := mustNew(t, []*bundle.Bundle{b})
	if !e.HasFleet() {
		t.Fatal("HasFleet = false")
	}
	if d := neighbor("aa"); !e.TakesFleet(&d) {
		t.Error("TakesFleet(neighbor) = false")
	}
	if d := (document.Entry{Bundle: "net", CollectorID: "file.x"}); e.TakesFleet(&d) {
		t.Error("TakesFleet(file.x) = true")
	}

	// Eval leaves the fleet policies out.
	res := mustEval(t, e, Input{Documents: []document.Entry{neighbor("aa")}})
	if len(res.Policies) != 1 || res.Policies[0].ID != "per-doc" {
		t.Errorf("Eval policies = %+v, want only per-doc", res.Policies)
	}

	targets := fleetOf(
		[]document.Entry{iface("aa"), neighbor("bb"), neighbor("ee")},
		[]document.Entry{iface("bb"), neighbor("aa"), neighbor("ee")},
		[]document.Entry{iface("cc")},
	)
	fr, err := e.EvalFleet(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	findings, statuses := summarizeFleet(fr)
	wantFindings := []fleetBrief{
		{"h1", "rogue", "3 targets, h1 is h1.lan", report.Warn},
		{"h1", "rogue", "MAC ee is owned by no target (sh1)", report.Deny},
		{"h2", "rogue", "3 targets, h2 is h2.lan", report.Warn},
		{"h2", "rogue", "MAC ee is owned by no target (sh2)", report.Deny},
		{"h3", "rogue", "3 targets, h3 is h3.lan", report.Warn},
	}
	if diff := cmp.Diff(wantFindings, findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	wantStatuses := [][]statusBrief{
		{{"none", report.StatusSkip, 0, 0}, {"rogue", report.StatusFail, 3, 2}},
		{{"none", report.StatusSkip, 0, 0}, {"rogue", report.StatusFail, 3, 2}},
		{{"none", report.StatusSkip, 0, 0}, {"rogue", report.StatusWarn, 1, 1}},
	}
	if diff := cmp.Diff(wantStatuses, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if a, b := fr.Targets[0].Findings[0].Fingerprint, fr.Targets[1].Findings[0].Fingerprint; a == "" || a == b {
		t.Errorf("fingerprints %q and %q: want distinct, per target", a, b)
	}
}

// TestEvalFleetErrors: a fleet policy's finding must name a target of the
// run; anything else is that policy's error at every target, and the other
// policies keep their findings.
func TestEvalFleetErrors(t *testing.T) {
	tests := []struct {
		name, rule, want string
	}{
		{"no target", `deny contains "a message" if true`, `with no "target"`},
		{"boolean", `deny if true`, `must say at which target`},
		{"unknown target", `deny contains {"msg": "m", "target": "h9"} if true`, `target "h9", which is not a target of this run`},
		{"target not a string", `deny contains {"msg": "m", "target": 1} if true`, `returned target 1: want the name`},
		{"runtime error", "v := count(input.targets)\nv := 3\ndeny contains {\"msg\": \"m\", \"target\": \"h1\"} if v", `conflict`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBundle(t, "net", nil,
				pol{id: "bad", mode: bundle.Fleet, rego: "package bad\n" + tt.rule},
				pol{id: "good", mode: bundle.Fleet, rego: `package good
deny contains {"msg": "seen", "target": t.name} if { some t in input.targets; count(t.documents) > 0 }`})
			e := mustNew(t, []*bundle.Bundle{b})
			fr, err := e.EvalFleet(context.Background(), fleetOf([]document.Entry{iface("aa")}, []document.Entry{iface("bb")}))
			if err != nil {
				t.Fatal(err)
			}
			for i, res := range fr.Targets {
				if len(res.Policies) != 2 {
					t.Fatalf("target %d: %d policies", i, len(res.Policies))
				}
				bad, good := res.Policies[0], res.Policies[1]
				if bad.Status != report.StatusError || !strings.Contains(bad.Error, tt.want) {
					t.Errorf("target %d: bad = %s %q, want error containing %q", i, bad.Status, bad.Error, tt.want)
				}
				if good.Status != report.StatusFail || len(res.Findings) != 1 || res.Findings[0].PolicyID != "good" {
					t.Errorf("target %d: good = %s, findings %+v", i, good.Status, res.Findings)
				}
			}
		})
	}
}

// TestExplainFleet: --explain refuses a fleet policy before any work
// rather than tracing it as a per-document one.
func TestExplainFleet(t *testing.T) {
	b := newBundle(t, "net", nil, pol{id: "rogue", mode: bundle.Fleet, rego: rogueFleet})
	e := mustNew(t, []*bundle.Bundle{b})
	if _, err := e.FindPolicy("rogue"); err == nil || !strings.Contains(err.Error(), "net/rogue is a fleet policy") {
		t.Errorf("FindPolicy = %v, want a refusal", err)
	}
	if _, err := e.Explain(context.Background(), Input{}, "net/rogue", nil); err == nil || !strings.Contains(err.Error(), "fleet policy") {
		t.Errorf("Explain = %v, want a refusal", err)
	}
}

func TestEvalFleetDuplicateNames(t *testing.T) {
	b := newBundle(t, "net", nil, pol{id: "p", mode: bundle.Fleet, rego: `package p
deny contains {"msg": "m", "target": "h1"} if false`})
	e := mustNew(t, []*bundle.Bundle{b})
	targets := fleetOf(nil, nil)
	targets[1].Name = "h1"
	if _, err := e.EvalFleet(context.Background(), targets); err == nil || !strings.Contains(err.Error(), `both named "h1"`) {
		t.Errorf("EvalFleet = %v, want an error naming the duplicate", err)
	}
}

// BenchmarkEvalFleet: the rogue-host join over b.N runs of 200 targets
// with 20 neighbors each.
func BenchmarkEvalFleet(b *testing.B) {
	bun := newBundle(b, "net", nil, pol{id: "rogue", mode: bundle.Fleet, inputs: []string{"netmac.neighbors", "netmac.interfaces"}, rego: rogueFleet})
	e := mustNew(b, []*bundle.Bundle{bun})
	var docs [][]document.Entry
	for i := range 200 {
		d := []document.Entry{iface(fmt.Sprintf("00:16:3e:00:%02x:%02x", i/256, i%256))}
		for j := range 20 {
			d = append(d, neighbor(fmt.Sprintf("00:16:3e:00:%02x:%02x", (i+j+1)%200/256, (i+j+1)%200%256)))
		}
		docs = append(docs, d)
	}
	targets := fleetOf(docs...)
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.EvalFleet(context.Background(), targets); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEvalFleetSharedTargets: the fleet policies evaluated at once see
// the same targets' names, kinds, host facts and labels (built once per
// EvalFleet), each with its own documents.
func TestEvalFleetSharedTargets(t *testing.T) {
	var pols []pol
	for i := range 4 {
		pols = append(pols, pol{id: fmt.Sprintf("p%d", i), mode: bundle.Fleet, inputs: []string{"netmac.interfaces"}, rego: fmt.Sprintf(`package p%d
warn contains {"msg": sprintf("p%d %%s %%s %%s %%s %%d", [t.name, t.kind, t.host.hostname, t.labels.site, count(t.documents)]), "target": t.name} if some t in input.targets`, i, i)})
	}
	e := mustNew(t, []*bundle.Bundle{newBundle(t, "net", nil, pols...)}, WithParallelism(4))
	fr, err := e.EvalFleet(context.Background(), fleetOf([]document.Entry{iface("aa"), neighbor("bb")}, nil))
	if err != nil {
		t.Fatal(err)
	}
	findings, _ := summarizeFleet(fr)
	var want []fleetBrief
	for _, h := range []struct{ name, docs string }{{"h1", "1"}, {"h2", "0"}} {
		for i := range 4 {
			want = append(want, fleetBrief{h.name, fmt.Sprintf("p%d", i), fmt.Sprintf("p%d %s ssh %s.lan s%s %s", i, h.name, h.name, h.name, h.docs), report.Warn})
		}
	}
	if diff := cmp.Diff(want, findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}
