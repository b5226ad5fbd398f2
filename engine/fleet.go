package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

// FleetTarget is one target of a fleet evaluation (EvalFleet): what Eval
// takes for that target alone, plus the name fleet policies know it by.
type FleetTarget struct {
	// Name identifies the target in input.targets[_].name and in the
	// "target" of the findings of fleet policies; unique within the run.
	// "" takes Target.Name.
	Name   string
	Target target.Info
	// Host facts of the target: input.targets[_].host.
	Host document.Document
	// Labels are the inventory's labels of the target (site, role…).
	Labels map[string]string
	// Documents are the target's documents. Only those that fleet policies
	// take are read (TakesFleet): a caller may keep only those.
	Documents []document.Entry
}

func (t *FleetTarget) name() string {
	if t.Name != "" {
		return t.Name
	}
	return t.Target.Name
}

// FleetResult holds, for each target of EvalFleet in the order given, the
// results of the fleet policies as seen at that target and the findings
// reported at it, sorted as Eval sorts them.
type FleetResult struct {
	Targets []Result
}

func (p *policy) fleet() bool { return p.src.Mode == bundle.Fleet }

// HasFleet reports whether any policy is in fleet mode: a run then keeps
// the documents those policies take until every target is collected.
func (e *Engine) HasFleet() bool {
	for _, p := range e.policies {
		if p.fleet() {
			return true
		}
	}
	return false
}

// TakesFleet reports whether a fleet policy takes the document: the
// documents a multi-target run must keep for EvalFleet; the others can be
// dropped once the target is judged.
func (e *Engine) TakesFleet(d *document.Entry) bool {
	for _, p := range e.candidates(d.CollectorID) {
		if p.fleet() && p.judges(d) {
			return true
		}
	}
	return false
}

// EvalFleet evaluates every fleet-mode policy once over the documents of
// all the targets. A policy sees
//
//	input.targets = [{"name", "kind", "host", "labels", "documents": [...]}, ...]
//
// with every target of the run, in the order given, each with the
// documents of its own that the policy takes (possibly none), and
// data.assay.host empty: each target's host facts are in its entry. Each
// finding must name the target it is reported at ({"msg": …, "target":
// NAME}); a result that names none, or a target not in the run, is an
// error of its policy. Eval leaves fleet policies out; a single-target run
// is a fleet of one.
func (e *Engine) EvalFleet(ctx context.Context, targets []FleetTarget) (*FleetResult, error) {
	e.evalMu.Lock()
	defer e.evalMu.Unlock()
	if err := e.publishHost(ctx, nil); err != nil {
		return nil, err
	}
	names := make(map[string]int, len(targets))
	var all []document.Entry
	var owner []int
	for i := range targets {
		n := targets[i].name()
		if j, dup := names[n]; dup {
			return nil, fmt.Errorf("fleet: targets %d and %d are both named %q: each target must be named once", j+1, i+1, n)
		}
		names[n] = i
		for _, d := range targets[i].Documents {
			all = append(all, d)
			owner = append(owner, i)
		}
	}
	r := &run{e: e, in: &Input{Documents: all}, state: make([]policyState, len(e.policies)),
		fleet: &fleetRun{targets: targets, owner: owner, names: names}}
	r.planFleet()
	if len(r.jobs) > 0 {
		r.fleet.entries()
	}
	if err := r.execute(ctx); err != nil {
		return nil, err
	}
	return r.fleetResult(), nil
}

// fleetRun is what a run of EvalFleet knows beyond Eval's.
type fleetRun struct {
	targets []FleetTarget
	owner   []int // the target of each document of Input.Documents
	names   map[string]int
	// items are each target's entry of input.targets but its documents
	// (name, kind, host, labels): the same for every fleet policy, so
	// built once (entries) before the policies run. hostErr is the error
	// of the first target whose host facts do not convert.
	items   [][][2]*ast.Term
	hostErr string
}

// entries builds the items of every target.
func (f *fleetRun) entries() {
	f.items = make([][][2]*ast.Term, len(f.targets))
	for i := range f.targets {
		t := &f.targets[i]
		host, err := ast.InterfaceToValue(map[string]any(t.Host))
		if err != nil {
			f.hostErr = fmt.Sprintf("target %q: host facts: %v", t.name(), err)
			return
		}
		if t.Host == nil {
			host = ast.NewObject()
		}
		labels := ast.NewObject()
		for k, v := range t.Labels {
			labels.Insert(ast.StringTerm(k), ast.StringTerm(v))
		}
		f.items[i] = [][2]*ast.Term{
			ast.Item(ast.InternedTerm("name"), ast.StringTerm(t.name())),
			ast.Item(ast.InternedTerm("kind"), ast.StringTerm(string(t.Target.Kind))),
			ast.Item(ast.InternedTerm("host"), ast.NewTerm(host)),
			ast.Item(ast.InternedTerm("labels"), ast.NewTerm(labels)),
		}
	}
}

// planFleet lays out one job per fleet policy that takes any document.
func (r *run) planFleet() {
	r.counts = make([]int, len(r.e.policies))
	docs := make([][]int, len(r.e.policies))
	groups := map[[2]string][]*policy{}
	for i := range r.in.Documents {
		d := &r.in.Documents[i]
		key := [2]string{d.Bundle, d.CollectorID}
		pols, ok := groups[key]
		if !ok {
			for _, p := range r.e.candidates(d.CollectorID) {
				if p.fleet() && p.judges(d) {
					pols = append(pols, p)
				}
			}
			groups[key] = pols
		}
		for _, p := range pols {
			docs[p.index] = append(docs[p.index], i)
		}
	}
	for _, p := range r.e.policies {
		if d := docs[p.index]; len(d) > 0 {
			r.jobs = append(r.jobs, job{doc: -1, policy: p, docs: d})
			r.counts[p.index] = len(d)
		}
	}
}

// doFleet evaluates a fleet policy over input.targets.
func (r *run) doFleet(ctx context.Context, j *job) (outcome, error) {
	f := r.fleet
	dc := docContext{label: fmt.Sprintf("fleet of %d targets, %d documents", len(f.targets), len(j.docs)), fleet: f.names,
		collector: r.sharedCollector(j.docs)}
	perTarget := make([][]*ast.Term, len(f.targets))
	for _, i := range j.docs {
		d := &r.in.Documents[i]
		v, err := regoValue(d)
		if err != nil {
			return outcome{errs: []policyError{{policy: j.policy.index,
				msg: fmt.Sprintf("target %q: %s: convert to Rego: %v", f.targets[f.owner[i]].name(), documentLabel(d, v, i), err)}}}, nil
		}
		perTarget[f.owner[i]] = append(perTarget[f.owner[i]], ast.NewTerm(v))
	}
	if f.hostErr != "" {
		return outcome{errs: []policyError{{policy: j.policy.index, msg: f.hostErr}}}, nil
	}
	entries := make([]*ast.Term, len(f.targets))
	for i, items := range f.items {
		entries[i] = ast.ObjectTerm(append(slices.Clip(items), ast.Item(ast.InternedTerm("documents"), ast.ArrayTerm(perTarget[i]...)))...)
	}
	input := ast.NewObject(ast.Item(ast.InternedTerm("targets"), ast.ArrayTerm(entries...)))
	return r.evaluate(ctx, []*policy{j.policy}, input, &dc)
}

// fleetTarget reads the "target" of a fleet policy's result: the name of
// a target of the run.
func fleetTarget(rule string, v ast.Value, names map[string]int) (string, error) {
	s, ok := v.(ast.String)
	if !ok {
		return "", fmt.Errorf("rule %s returned target %s: want the name of a target (input.targets[_].name)", rule, truncate(v.String()))
	}
	if _, ok := names[string(s)]; !ok {
		return "", fmt.Errorf("rule %s returned target %q, which is not a target of this run: name one of input.targets[_].name", rule, truncate(string(s)))
	}
	return string(s), nil
}

// fleetResult is result for EvalFleet: each fleet policy's outcome at
// each target, and the findings by the target they name.
func (r *run) fleetResult() *FleetResult {
	f := r.fleet
	n := len(f.targets)
	errs := map[int]string{}
	tallies := make([][]tally, len(r.e.policies)) // [policy][target]
	docs := make([][]int, len(r.e.policies))
	out := &FleetResult{Targets: make([]Result, n)}
	for i, j := range r.jobs {
		p := j.policy
		tallies[p.index] = make([]tally, n)
		docs[p.index] = make([]int, n)
		for _, d := range j.docs {
			docs[p.index][f.owner[d]]++
		}
		o := r.out[i]
		r.out[i] = outcome{}
		for _, pe := range o.errs {
			if errs[pe.policy] == "" {
				errs[pe.policy] = pe.msg
			}
		}
		if r.stopped(p.index) {
			continue
		}
		for _, pf := range o.findings {
			t := f.names[pf.Target]
			tallies[p.index][t].add(&pf.Finding)
			out.Targets[t].Findings = append(out.Targets[t].Findings, pf.Finding)
		}
	}
	for _, p := range r.e.policies {
		if !p.fleet() {
			continue
		}
		for t := range n {
			rp := p.meta
			var tl tally
			if tallies[p.index] != nil {
				tl = tallies[p.index][t]
				rp.Documents = docs[p.index][t]
			}
			// Skipped at every target when no target had a document for it.
			r.settle(&rp, p.index, tl, errs[p.index], r.counts[p.index] > 0)
			out.Targets[t].Policies = append(out.Targets[t].Policies, rp)
		}
	}
	for t := range out.Targets {
		rep := report.Report{Policies: out.Targets[t].Policies, Findings: out.Targets[t].Findings}
		rep.Sort()
		out.Targets[t] = Result{Policies: rep.Policies, Findings: rep.Findings}
	}
	return out
}
