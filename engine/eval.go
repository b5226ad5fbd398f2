package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/assay-dev/assay/core/report"
)

// Eval judges the documents. Each document is converted to a Rego value
// once and evaluated by one prepared query covering every per-document
// policy that takes it; aggregate policies are evaluated once over all their
// documents. Fleet policies are left out of its result: EvalFleet judges
// them over every target of the run. A policy that fails is reported with status error and does not
// stop the others. Eval returns an error only when ctx ends or the engine
// itself fails.
func (e *Engine) Eval(ctx context.Context, in Input) (*Result, error) {
	e.evalMu.Lock()
	defer e.evalMu.Unlock()
	if err := e.publishHost(ctx, in.Host); err != nil {
		return nil, err
	}
	e.fuseDeferred(len(in.Documents))

	r := &run{e: e, in: &in, state: make([]policyState, len(e.policies))}
	r.plan()
	if err := r.execute(ctx); err != nil {
		return nil, err
	}
	return r.result(), nil
}

// publishHost makes the host facts data.assay.host for this evaluation.
func (e *Engine) publishHost(ctx context.Context, host map[string]any) error {
	if host == nil {
		host = map[string]any{}
	}
	v, err := ast.InterfaceToValue(host)
	if err != nil {
		return fmt.Errorf("host facts: %w", err)
	}
	if err := storage.WriteOne(ctx, e.store, storage.ReplaceOp, hostPath, v); err != nil {
		return fmt.Errorf("publish host facts: %w", err)
	}
	return nil
}

// policyState is what one Eval learnt about a policy while running.
type policyState struct {
	// alone: the policy failed once, so it is evaluated on its own from now
	// on and its failures no longer cost the others a re-evaluation.
	alone atomic.Bool
	// timedOut: the policy exceeded the deadline once; it is not evaluated
	// again in this Eval (each attempt would cost a full deadline).
	timedOut atomic.Bool
	// overBudget: the policy exceeded the memory budget alone; it is not
	// evaluated again in this Eval either.
	overBudget atomic.Bool
}

// job is one unit of the worker pool: one document with the per-document
// policies that take it, or one aggregate (or combined) policy with all its
// documents.
type job struct {
	doc    int       // index in Input.Documents, or -1 for aggregate
	group  []*policy // per-document: the policies of the document's group
	policy *policy   // aggregate
	docs   []int     // aggregate: indices in Input.Documents
}

// outcome is what one job produced.
type outcome struct {
	findings []policyFinding
	errs     []policyError
}

// policyFinding is a finding with the index of the policy that made it.
type policyFinding struct {
	policy int
	report.Finding
}

type policyError struct {
	policy  int
	msg     string
	timeout bool
}

// run is the state of one Eval.
type run struct {
	e      *Engine
	in     *Input
	fleet  *fleetRun // EvalFleet's, nil for Eval
	state  []policyState
	jobs   []job
	counts []int // documents evaluated, per policy
	out    []outcome

	// Under a memory budget (budget.go): evaluations hold solo for
	// reading, and one run again to find who is to blame holds it alone;
	// running are the evaluations the watcher stops.
	solo    sync.RWMutex
	runMu   sync.Mutex
	running map[int]context.CancelCauseFunc
	nextID  int
}

// plan groups documents by (bundle, collector), since that is all that
// decides which policies take a document, and lays out the jobs.
func (r *run) plan() {
	type group struct {
		perDoc    []*policy
		aggregate []*policy
	}
	groups := map[[2]string]*group{}
	r.counts = make([]int, len(r.e.policies))
	aggDocs := make([][]int, len(r.e.policies))
	for i := range r.in.Documents {
		d := &r.in.Documents[i]
		key := [2]string{d.Bundle, d.CollectorID}
		g, ok := groups[key]
		if !ok {
			g = &group{}
			for _, p := range r.e.candidates(d.CollectorID) {
				if p.fleet() || !p.judges(d) {
					continue // fleet policies: EvalFleet
				}
				if p.aggregate() || p.combined(r.in) {
					g.aggregate = append(g.aggregate, p)
				} else {
					g.perDoc = append(g.perDoc, p)
				}
			}
			groups[key] = g
		}
		if len(g.perDoc) > 0 {
			r.jobs = append(r.jobs, job{doc: i, group: g.perDoc})
		}
		for _, p := range g.perDoc {
			r.counts[p.index]++
		}
		for _, p := range g.aggregate {
			aggDocs[p.index] = append(aggDocs[p.index], i)
		}
	}
	for _, p := range r.e.policies {
		if docs := aggDocs[p.index]; len(docs) > 0 {
			r.jobs = append(r.jobs, job{doc: -1, policy: p, docs: docs})
			r.counts[p.index] = len(docs)
		}
	}
}

// execute runs the jobs on a bounded pool of workers.
func (r *run) execute(ctx context.Context) error {
	r.out = make([]outcome, len(r.jobs))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if stop := r.watchMemory(); stop != nil {
		defer stop()
	}
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		fatalErr error
	)
	workers := min(r.e.cfg.parallelism, len(r.jobs))
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(r.jobs) || ctx.Err() != nil {
					return
				}
				o, err := r.do(ctx, &r.jobs[i])
				if err != nil {
					errOnce.Do(func() { fatalErr = err; cancel() })
					return
				}
				r.out[i] = o
			}
		})
	}
	wg.Wait()
	if fatalErr != nil {
		return fatalErr
	}
	return ctx.Err()
}

func (r *run) do(ctx context.Context, j *job) (outcome, error) {
	if j.doc >= 0 {
		// The Rego value lives only as long as this job: the documents
		// stay in their compact form (Doc) until judged.
		d := &r.in.Documents[j.doc]
		v, err := regoValue(d)
		dc := docContext{
			label:     documentLabel(d, v, j.doc),
			collector: d.CollectorID,
			path:      documentPath(d, v),
		}
		if err != nil {
			var o outcome
			for _, p := range j.group {
				o.errs = append(o.errs, policyError{policy: p.index, msg: fmt.Sprintf("%s: convert to Rego: %v", dc.label, err)})
			}
			return o, nil
		}
		return r.evaluate(ctx, j.group, v, &dc)
	}

	if j.policy.fleet() {
		return r.doFleet(ctx, j)
	}
	build := r.aggregateInput
	if j.policy.combined(r.in) {
		build = r.combinedInput
	}
	input, dc, err := build(j.docs)
	if err != nil {
		return outcome{errs: []policyError{{policy: j.policy.index, msg: err.Error()}}}, nil
	}
	return r.evaluate(ctx, []*policy{j.policy}, input, &dc)
}

// sharedCollector is the collector of every document of docs, or "" when
// they come from several: a finding of a policy judging them together
// names a collector only when there is one.
func (r *run) sharedCollector(docs []int) string {
	if len(docs) == 0 {
		return ""
	}
	c := r.in.Documents[docs[0]].CollectorID
	for _, i := range docs[1:] {
		if r.in.Documents[i].CollectorID != c {
			return ""
		}
	}
	return c
}

// aggregateInput is the input of an aggregate policy over the documents
// docs (indexes into the run's documents): {"documents": [DOCUMENT…]}.
func (r *run) aggregateInput(docs []int) (ast.Value, docContext, error) {
	dc := docContext{label: fmt.Sprintf("aggregate of %d documents", len(docs)), collector: r.sharedCollector(docs)}
	terms := make([]*ast.Term, len(docs))
	for k, i := range docs {
		d := &r.in.Documents[i]
		v, err := regoValue(d)
		if err != nil {
			return nil, dc, fmt.Errorf("%s: convert to Rego: %v", documentLabel(d, v, i), err)
		}
		terms[k] = ast.NewTerm(v)
	}
	return ast.NewObject(ast.Item(ast.InternedTerm("documents"), ast.ArrayTerm(terms...))), dc, nil
}

// combinedInput is the input of a policy over the documents docs (indexes
// into the run's documents) as conftest --combine gives it: an array of
// {"path": FILE, "contents": DOCUMENT}, sorted by path, a file's documents
// in their order. Its findings point at no file.
func (r *run) combinedInput(docs []int) (ast.Value, docContext, error) {
	docs = slices.Clone(docs)
	slices.SortStableFunc(docs, func(a, b int) int { return strings.Compare(r.in.Documents[a].File, r.in.Documents[b].File) })
	dc := docContext{label: fmt.Sprintf("combined input of %d documents", len(docs))}
	terms := make([]*ast.Term, len(docs))
	for k, i := range docs {
		d := &r.in.Documents[i]
		v, err := regoValue(d)
		if err != nil {
			return nil, dc, fmt.Errorf("%s: convert to Rego: %v", documentLabel(d, v, i), err)
		}
		terms[k] = ast.ObjectTerm(
			ast.Item(ast.InternedTerm("path"), ast.StringTerm(d.File)),
			ast.Item(ast.InternedTerm("contents"), ast.NewTerm(v)))
	}
	return ast.NewArray(terms...), dc, nil
}

// evaluate runs the policies on one input: together in one query where
// possible, alone where a policy failed before. If the joint query fails,
// each policy is re-evaluated alone so that the failure is charged to the
// right one.
func (r *run) evaluate(ctx context.Context, pols []*policy, input ast.Value, dc *docContext) (outcome, error) {
	var o outcome
	var joint, alone []*policy
	for _, p := range pols {
		switch st := &r.state[p.index]; {
		case st.timedOut.Load(), st.overBudget.Load():
		case st.alone.Load():
			alone = append(alone, p)
		default:
			joint = append(joint, p)
		}
	}
	if len(joint) > 0 {
		if err := r.attempt(ctx, &o, joint, input, dc, false); err != nil {
			return o, err
		}
	}
	for _, p := range alone {
		if err := r.attempt(ctx, &o, []*policy{p}, input, dc, false); err != nil {
			return o, err
		}
	}
	return o, nil
}

// attempt evaluates the policies' joint query, and on failure finds whose
// it is: a query stopped for the memory budget runs again alone in the
// process (exclusive), since the heap is everyone's; a query of several
// policies that fails runs again policy by policy; one policy's failure is
// its own.
func (r *run) attempt(ctx context.Context, o *outcome, pols []*policy, input ast.Value, dc *docContext, exclusive bool) error {
	// Another worker may have found one of them over the budget since.
	done := func(p *policy) bool {
		st := &r.state[p.index]
		return st.overBudget.Load() || st.timedOut.Load()
	}
	if slices.ContainsFunc(pols, done) {
		if pols = slices.DeleteFunc(slices.Clone(pols), done); len(pols) == 0 {
			return nil
		}
	}
	q, vals, err := r.evalQuery(ctx, pols, input, exclusive)
	var failure *evalFailure
	switch {
	case err == nil:
		r.collect(o, q, vals, dc)
	case !errors.As(err, &failure):
		return err
	case failure.overBudget && !failure.alone:
		return r.attempt(ctx, o, pols, input, dc, true)
	case len(pols) > 1:
		for _, p := range pols {
			if err := r.attempt(ctx, o, []*policy{p}, input, dc, exclusive || failure.overBudget); err != nil {
				return err
			}
		}
	default:
		r.fail(o, pols[0], failure, dc)
	}
	return nil
}

func (r *run) fail(o *outcome, p *policy, f *evalFailure, dc *docContext) {
	st := &r.state[p.index]
	switch {
	case f.timeout:
		st.timedOut.Store(true)
	case f.overBudget:
		r.chargeBudget(p, dc, f.err)
	default:
		st.alone.Store(true)
	}
	o.errs = append(o.errs, policyError{policy: p.index, timeout: f.timeout, msg: fmt.Sprintf("%s: %v", dc.label, f.err)})
}

// evalFailure is an evaluation error that belongs to the policies of the
// query (a runtime error, a deadline, the memory budget), not to the
// engine or the caller.
type evalFailure struct {
	err        error
	timeout    bool
	overBudget bool
	alone      bool // over the budget with no other evaluation running
}

func (f *evalFailure) Error() string { return f.err.Error() }

// evalQuery evaluates the policies' joint query on the input under the
// per-evaluation deadline and, exclusive or not, the memory budget.
func (r *run) evalQuery(ctx context.Context, pols []*policy, input ast.Value, exclusive bool) (*binding, values, error) {
	var none values
	b, err := r.e.queryFor(ctx, pols)
	if err != nil {
		return nil, none, err
	}
	q := b.q
	if len(q.slots) == 0 && q.fused == nil {
		return b, none, nil
	}
	ectx, cancel := context.WithTimeout(ctx, r.e.cfg.evalTimeout)
	defer cancel()
	mctx := ectx // stopped by the memory watcher, under a budget
	if r.e.cfg.memBudget > 0 {
		release, err := r.enter(exclusive)
		defer release()
		if err != nil {
			return nil, none, err
		}
		var stop context.CancelCauseFunc
		mctx, stop = context.WithCancelCause(ectx)
		defer stop(nil)
		defer r.track(stop)()
	}
	vals, err := q.eval(mctx, input)
	switch {
	case err == nil:
		return b, vals, nil
	case ctx.Err() != nil:
		return nil, none, ctx.Err()
	case errors.Is(context.Cause(mctx), errOverBudget):
		alone := exclusive || errors.Is(context.Cause(mctx), errOverBudgetAlone)
		return nil, none, &evalFailure{overBudget: true, alone: alone, err: r.overBudgetError()}
	case errors.Is(ectx.Err(), context.DeadlineExceeded):
		return nil, none, &evalFailure{timeout: true, err: r.timeoutError()}
	default:
		return nil, none, &evalFailure{err: err}
	}
}

// result merges the outcomes in job order, so that the result does not
// depend on which worker finished first, and sorts it.
func (r *run) result() *Result {
	tallies := make([]tally, len(r.e.policies))
	errs := make([]string, len(r.e.policies)) // the first error of each policy
	// Sized once: at 100,000 documents the findings are tens of megabytes,
	// and growing the slice by doubling left as much again as garbage.
	n := 0
	for _, o := range r.out {
		n += len(o.findings)
	}
	findings := make([]report.Finding, 0, n)
	for i, o := range r.out {
		r.out[i] = outcome{} // merged: let the collector have it
		for _, pe := range o.errs {
			if errs[pe.policy] == "" {
				errs[pe.policy] = pe.msg
			}
		}
		for _, f := range o.findings {
			if r.stopped(f.policy) {
				continue
			}
			tallies[f.policy].add(&f.Finding)
			findings = append(findings, f.Finding)
		}
	}
	policies := make([]report.PolicyResult, 0, len(r.e.policies))
	for i, p := range r.e.policies {
		if p.fleet() {
			continue // EvalFleet reports them
		}
		rp := p.meta
		rp.Documents = r.counts[i]
		r.settle(&rp, i, tallies[i], errs[i], rp.Documents > 0)
		policies = append(policies, rp)
	}
	rep := report.Report{Policies: policies, Findings: findings}
	rep.Sort()
	return &Result{Policies: rep.Policies, Findings: rep.Findings}
}

// stopped says whether the policy was stopped for the deadline or the
// memory budget. Which documents it judged before that depends on
// scheduling: its findings are dropped, for a stable result.
func (r *run) stopped(policy int) bool {
	st := &r.state[policy]
	return st.timedOut.Load() || st.overBudget.Load()
}

// tally counts the findings of one policy (at one target, for EvalFleet).
type tally struct{ findings, deny, warn int }

func (t *tally) add(f *report.Finding) {
	t.findings++
	switch {
	case f.Waived != nil:
		// Accepted: reported, but the policy passes for it.
	case f.Kind == report.Deny:
		t.deny++
	default:
		t.warn++
	}
}

// settle sets the status, error and findings count of the result of
// policy idx from its tally, its first error (or "") and whether it judged
// any document.
func (r *run) settle(rp *report.PolicyResult, idx int, t tally, err string, judged bool) {
	rp.Findings = t.findings
	switch {
	case r.state[idx].timedOut.Load():
		rp.Status, rp.Error, rp.Findings = report.StatusError, r.timeoutError().Error(), 0
	case r.state[idx].overBudget.Load():
		rp.Status, rp.Error, rp.Findings = report.StatusError, r.overBudgetError().Error(), 0
	case err != "":
		rp.Status, rp.Error = report.StatusError, err
	case !judged:
		rp.Status = report.StatusSkip
	case t.deny > 0:
		rp.Status = report.StatusFail
	case t.warn > 0:
		rp.Status = report.StatusWarn
	default:
		rp.Status = report.StatusPass
	}
}

func (r *run) timeoutError() error {
	return fmt.Errorf("evaluation exceeded %s", r.e.cfg.evalTimeout)
}
