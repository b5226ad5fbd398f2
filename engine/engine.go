// Package engine judges documents with the Rego policies of loaded bundles,
// using OPA's v1 Go API: every module is compiled once, each query prepared
// once, and each document converted to a Rego value once.
//
// Policies that judge the same document are evaluated together: one prepared
// query returns the deny, violation and warn rules of all of them, so a
// document costs one evaluation however many policies read it. A policy
// whose evaluation fails is re-evaluated alone so that the error is charged
// to it and the others keep their findings. docs/engine.md describes the
// evaluation model, the sandbox and the result shapes.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

// DefaultEvalTimeout bounds one evaluation unless WithEvalTimeout says
// otherwise.
const DefaultEvalTimeout = 10 * time.Second

// Option configures an Engine.
type Option func(*config)

type config struct {
	parallelism int
	evalTimeout time.Duration
	logger      *slog.Logger
	noFusion    bool // tests compare results with and without fuse.go
	sourceOrder bool // and with and without reorder.go and select.go
	// memBudget bounds the heap while policies are evaluated (0: no
	// bound); onOverBudget is told of each policy stopped for it.
	memBudget    int64
	onOverBudget func(bundle, policy string)
	data         map[string]any
	// fuseFrom defers fusion (WithFusionFrom) to the evaluation that
	// brings the documents judged to this many; 0 fuses when the engine is
	// built.
	fuseFrom int
	// precompiled is the bundles' compiled form (WithPrecompiled).
	precompiled *Precompiled
}

// WithFusionFrom defers fusion (fuse.go) from when the engine is built to
// the evaluation that brings the documents its evaluations judge, in all,
// to n: that evaluation and the ones after it are fused. The fused
// packages copy every finding rule, so compiling them is a third of
// compiling the built-in bundles (7 of 20 ms), while on the handful of
// documents of one host they save about a millisecond. A scan of one host
// (assay scan, collect) then never compiles them; assay serve compiles
// them when its scans reach n documents, recompiling the bundles then.
// It suits small bundles only: for a large one, one evaluation of many
// documents costs two compiles instead of one.
func WithFusionFrom(n int) Option { return func(c *config) { c.fuseFrom = n } }

// WithParallelism bounds the evaluations that run at once (default: GOMAXPROCS).
func WithParallelism(n int) Option { return func(c *config) { c.parallelism = n } }

// WithEvalTimeout bounds each evaluation (default 10s). An evaluation that
// runs longer is stopped and its policy reported with status error.
func WithEvalTimeout(d time.Duration) Option { return func(c *config) { c.evalTimeout = d } }

// WithMemoryBudget bounds the Go heap while policies are evaluated, in
// bytes (default: no bound). When the heap grows past it, the evaluations
// running are stopped and run again one at a time; the one that exceeds the
// budget alone has its policies re-run one by one, and a policy that
// exceeds it alone is reported with status error and not evaluated again in
// that Eval. The heap is the whole process's: set the Go runtime's soft
// limit to the budget (membudget.SetSoftLimit) so that it is collected
// before the budget is reached. docs/engine.md has the details.
func WithMemoryBudget(bytes int64) Option { return func(c *config) { c.memBudget = bytes } }

// WithOverBudget sets a function told of each policy stopped for the
// memory budget, once per Eval (assay serve counts them).
func WithOverBudget(f func(bundle, policy string)) Option {
	return func(c *config) { c.onOverBudget = f }
}

// WithData adds data to the bundles' own, as conftest's --data does: each
// top-level key is data.KEY. A key that a bundle defines too must hold an
// object on both sides, merged key by key; any other clash, and data.assay,
// are refused.
func WithData(data map[string]any) Option { return func(c *config) { c.data = data } }

// WithLogger sets the logger; Rego print() goes to it at debug level.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Engine holds compiled bundles ready to evaluate. It is safe for concurrent
// use; concurrent calls to Eval are serialised, since each one publishes its
// own host facts at data.assay.host.
type Engine struct {
	cfg      config
	bundles  []*bundle.Bundle
	policies []*policy
	compiler *ast.Compiler
	store    storage.Store
	caps     *ast.Capabilities
	// static are the top-level data names the bundles fixed at load;
	// SetData may not replace them.
	static map[string]bool

	// evalMu serialises Eval: the host facts live in the shared store.
	evalMu sync.Mutex

	// fused holds the generated package of each set of packages that
	// policies judging one document use (fuse.go), by packageSetKey.
	fused map[string]*fusedSet
	// fusePending says WithFusionFrom deferred fusion and it has not come
	// yet; judged counts the documents the evaluations have judged since
	// (evalMu). deferred is what fusion needs, when New prepared the
	// bundles; built from a Precompiled it did not, and fusion prepares
	// them when it comes.
	fusePending bool
	deferred    *prepared
	judged      int
	// precompiled says New rebuilt the compiler from WithPrecompiled's form.
	precompiled bool

	// queries caches prepared queries by the set of packages they
	// evaluate; bindings caches, by the set of policies of a document
	// group, a query with the policy that owns each of its slots.
	queriesMu sync.Mutex
	queries   map[string]*query
	bindings  map[string]*binding

	// byInput lists, per collector ID, the policies that name it in their
	// inputs; unscoped are the policies without inputs. Both are in index
	// order. Finding a document's policies then costs what it finds, not a
	// pass over every policy: thousands of per-search policies would
	// otherwise make planning quadratic.
	byInput  map[string][]*policy
	unscoped []*policy
}

// Input is one evaluation's documents and context.
type Input struct {
	Documents []document.Entry
	// Host facts, exposed to policies as data.assay.host.
	Host   document.Document
	Target target.Info
	// Combine judges the documents of no bundle (files) at once, as
	// conftest --combine does: the policies of implicit (conftest-style)
	// bundles see one input, an array of {"path": FILE, "contents":
	// DOCUMENT} sorted by path. Other policies are not affected.
	Combine bool
}

// Result is what evaluation produced, ready to go into a report. Policies
// and findings are sorted as report.Report.Sort sorts them.
type Result struct {
	Policies []report.PolicyResult
	Findings []report.Finding
}

// New compiles the bundles. Compile errors come back as hcl.Diagnostics
// naming the Rego file, line and column, sorted by position.
func New(ctx context.Context, bundles []*bundle.Bundle, opts ...Option) (*Engine, error) {
	e := &Engine{
		bundles:  bundles,
		cfg:      config{evalTimeout: DefaultEvalTimeout},
		queries:  map[string]*query{},
		bindings: map[string]*binding{},
	}
	for _, o := range opts {
		o(&e.cfg)
	}
	if e.cfg.parallelism <= 0 {
		e.cfg.parallelism = runtime.GOMAXPROCS(0)
	}
	if e.cfg.evalTimeout <= 0 {
		e.cfg.evalTimeout = DefaultEvalTimeout
	}
	if e.cfg.logger == nil {
		e.cfg.logger = slog.New(slog.DiscardHandler)
	}
	e.caps = sandboxCapabilities()

	// Built from the precompiled form, a compiler has the rules the
	// prepared modules would list: the resolved modules are not needed
	// until fusion, which a deferred fusion may never reach.
	var prep *prepared
	resolved := e.fromPrecompiled()
	if resolved == nil {
		var diags hcl.Diagnostics
		prep, diags = prepareBundles(bundles, e.caps, e.cfg.sourceOrder)
		if diags.HasErrors() {
			return nil, diags
		}
		resolved = prep.resolved
	}

	rules := packageRules(resolved)
	excepting := exceptionPackages(resolved)
	var policyDiags hcl.Diagnostics
	for _, b := range bundles {
		for _, p := range b.Policies {
			pol, pdiags := newPolicy(len(e.policies), b, p, rules)
			if pol != nil && b.Implicit && excepting[p.Package.String()] {
				// conftest's exception rules: evaluated with the finding
				// rules, in a slot of their own (eval.go, exceptions).
				pol.rules = append(slices.Clip(pol.rules), exceptionRule)
			}
			policyDiags = append(policyDiags, pdiags...)
			if pol != nil {
				e.policies = append(e.policies, pol)
			}
		}
	}
	e.byInput = map[string][]*policy{}
	for _, p := range e.policies {
		if p.inputs == nil {
			e.unscoped = append(e.unscoped, p)
		}
		for _, in := range p.src.Inputs {
			if l := e.byInput[in]; len(l) == 0 || l[len(l)-1] != p {
				e.byInput[in] = append(l, p)
			}
		}
	}

	// One full compile, of the bundles' modules and the fused packages
	// generated from their finding rules. Should there be none, or should
	// it fail with them, the compile without them says whether the
	// bundles are at fault (their errors, each reported once) or only the
	// generated code, which evaluation then does without. Built from the
	// precompiled form (prep is nil), the engine prepares the bundles for
	// fusion when fusion comes.
	if prep == nil {
		e.fusePending = !e.cfg.noFusion
	} else if !e.cfg.noFusion && !policyDiags.HasErrors() {
		if e.cfg.fuseFrom > 0 {
			e.fusePending, e.deferred = true, prep
			prep.resolved = nil // its rules are captured: nothing reads it again
		} else {
			e.compiler, e.fused = e.compileFused(prep)
		}
	}
	if e.compiler == nil {
		compiler, diags := prep.compile(bundles, e.caps, nil)
		if diags.HasErrors() {
			return nil, diags
		}
		e.compiler = compiler
	}

	data, err := mergeData(bundles)
	if err != nil {
		return nil, err
	}
	if err := checkExtraData(e.cfg.data); err != nil {
		return nil, err
	}
	if err := mergeInto(data, e.cfg.data, "", "a bundle and by --data"); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if e.store, err = newStore(data); err != nil {
		return nil, err
	}
	e.static = make(map[string]bool, len(data))
	for name := range data {
		e.static[name] = true
	}
	if policyDiags.HasErrors() {
		return nil, policyDiags
	}
	return e, nil
}

// fromPrecompiled returns the compiler rebuilt from WithPrecompiled's
// compiled form, set as the engine's, when New may use it (see
// WithPrecompiled), and nil otherwise.
func (e *Engine) fromPrecompiled() *ast.Compiler {
	p := e.cfg.precompiled
	if p == nil || (e.cfg.fuseFrom <= 0 && !e.cfg.noFusion) {
		return nil
	}
	var (
		c   *ast.Compiler
		err error
	)
	switch {
	case !bundle.AllEmbedded(e.bundles):
		err = errors.New("not every bundle is built in")
	case e.cfg.sourceOrder:
		err = errors.New("its bodies are reordered")
	case p.Digest != precompiledDigest(e.bundles):
		err = errors.New("the bundles are not those precompiled")
	default:
		c, err = p.compiler(e.caps)
	}
	if err != nil {
		e.cfg.logger.Debug("compiling the bundles: their precompiled form is not used", "reason", err.Error())
		return nil
	}
	e.cfg.logger.Debug("compiled the bundles from their precompiled form")
	e.compiler, e.precompiled = c, true
	return c
}

// candidates are the policies that may take a document of the collector,
// in index order: those naming it and those naming no input. judges
// decides.
func (e *Engine) candidates(collector string) []*policy {
	scoped := e.byInput[collector]
	if len(scoped) == 0 {
		return e.unscoped
	}
	if len(e.unscoped) == 0 {
		return scoped
	}
	out := make([]*policy, 0, len(scoped)+len(e.unscoped))
	i, j := 0, 0
	for i < len(scoped) || j < len(e.unscoped) {
		if j == len(e.unscoped) || (i < len(scoped) && scoped[i].index < e.unscoped[j].index) {
			out = append(out, scoped[i])
			i++
		} else {
			out = append(out, e.unscoped[j])
			j++
		}
	}
	return out
}

// policy is a bundle policy as the engine evaluates it: its metadata with
// the Rego annotations applied, and the rules it queries.
type policy struct {
	index  int
	bundle *bundle.Bundle
	src    *bundle.Policy
	meta   report.PolicyResult
	inputs map[string]bool
	// rules are the rule names of the policy's package that produce
	// findings (deny, violation, warn and their _suffix variants), sorted,
	// then exceptionRule when the policy is of an implicit bundle whose
	// package has one.
	rules []string
}

func newPolicy(index int, b *bundle.Bundle, p *bundle.Policy, rules map[string][]string) (*policy, hcl.Diagnostics) {
	if len(p.Package) == 0 {
		return nil, hcl.Diagnostics{policyDiag(p, "Policy has no Rego package",
			fmt.Sprintf("Policy %q names no Rego package to evaluate.", p.ID))}
	}
	pol := &policy{
		index:  index,
		bundle: b,
		src:    p,
		meta: report.PolicyResult{
			Bundle:      b.Name,
			ID:          p.ID,
			Title:       p.Title,
			Description: p.Description,
			Severity:    p.Severity,
			Enforcement: p.Enforcement,
			Controls:    p.Controls,
			Remediation: p.Remediation,
			Source:      policySource(p),
		},
		rules: rules[p.Package.String()],
	}
	if len(p.Inputs) > 0 {
		pol.inputs = make(map[string]bool, len(p.Inputs))
		for _, in := range p.Inputs {
			pol.inputs[in] = true
		}
	}
	if len(pol.rules) == 0 {
		return nil, hcl.Diagnostics{policyDiag(p, "Policy has no finding rules",
			fmt.Sprintf("Package %s of policy %q defines no deny, violation or warn rule, so it can never report anything.", p.Package, p.ID))}
	}
	var diags hcl.Diagnostics
	if !p.Refined {
		diags = applyAnnotations(&pol.meta, b.Implicit, annotationsFor(p))
	}
	if pol.meta.Enforcement == "" {
		pol.meta.Enforcement = report.Mandatory
	}
	if pol.meta.Title == "" {
		pol.meta.Title = p.ID
	}
	return pol, diags
}

func policyDiag(p *bundle.Policy, summary, detail string) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail}
	if p.DeclRange.Filename != "" {
		r := p.DeclRange
		d.Subject = &r
	}
	return d
}

// policySource is "file:line" of the policy block, or of the Rego package
// for implicit bundles that have no HCL.
func policySource(p *bundle.Policy) string {
	if p.DeclRange.Filename != "" {
		return fmt.Sprintf("%s:%d", p.DeclRange.Filename, p.DeclRange.Start.Line)
	}
	if p.Module != nil && p.Module.Parsed != nil && p.Module.Parsed.Package != nil {
		if loc := p.Module.Parsed.Package.Location; loc != nil {
			return fmt.Sprintf("%s:%d", loc.File, loc.Row)
		}
	}
	if p.Module != nil {
		return p.Module.Filename
	}
	return ""
}

// judges reports whether the policy takes the document: a policy with
// inputs takes its collectors' documents from its own bundle or from no
// bundle; one without takes every document of its bundle and of no bundle.
func (p *policy) judges(d *document.Entry) bool {
	if d.Bundle != "" && d.Bundle != p.bundle.Name {
		return false
	}
	if p.inputs == nil {
		return true
	}
	return p.inputs[d.CollectorID]
}

func (p *policy) aggregate() bool { return p.src.Mode == bundle.Aggregate }

// combined says whether the policy judges all its documents at once as
// conftest --combine does: the policies of implicit bundles, when the
// input asks for it.
func (p *policy) combined(in *Input) bool { return in.Combine && p.bundle.Implicit && !p.aggregate() }
