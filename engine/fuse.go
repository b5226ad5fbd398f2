package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
)

// Fusion: evaluating a document costs one query, but a query over 50
// policies in 50 packages still evaluates 100 separate virtual documents
// (deny and warn of each package), and the per-rule overhead of that
// dominates when each rule is cheap. So for every set of packages that the
// policies judging one document use, New generates one extra package whose
// single multi-value rule has every definition of those packages'
// multi-value finding rules as its own definitions, with the head rewritten to
// `[slot, <original key>]`. One virtual document then holds all the
// findings of the set, OPA's rule index covers all the bodies at once, and
// a document costs what it would if all policies shared one package.
//
// The bodies are copied right after OPA's ResolveRefs stage, so every name
// they use is already an absolute reference (data.pkg.helper, input.x) and
// means the same in the generated package. Locations are kept, so print()
// and runtime errors still point at the user's file. Rules that are not
// multi-value (complete rules, booleans) keep their own slot. If the
// generated modules fail to compile for any reason, fusion is skipped.

// fusedPackage is the root of the generated packages; fusedRule is the one
// rule each defines. Both are names no policy uses.
const (
	fusedPackage = "assay_engine_internal"
	fusedRule    = "assay_fused_findings_"
)

// resolvedRules are copies of finding rules taken after ResolveRefs:
// package path → rule name → definitions.
type resolvedRules map[string]map[string][]*ast.Rule

// captureStage returns a compiler stage that records the multi-value
// finding rules (and which finding rules have other kinds of definitions).
func captureStage(into resolvedRules, unfusable map[string]bool) ast.CompilerStageDefinition {
	return ast.CompilerStageDefinition{
		Name:       "AssayCaptureFindingRules",
		MetricName: "assay_capture_finding_rules",
		Stage: func(c *ast.Compiler) *ast.Error {
			for _, m := range c.Modules {
				pkg := m.Package.Path.String()
				for _, r := range m.Rules {
					name := ruleName(r)
					if !bundle.RuleRE.MatchString(name) {
						continue
					}
					if len(r.Head.Ref()) != 1 || r.Head.RuleKind() != ast.MultiValue || r.Default || r.Else != nil {
						unfusable[pkg+"."+name] = true
						continue
					}
					if into[pkg] == nil {
						into[pkg] = map[string][]*ast.Rule{}
					}
					c := r.Copy()
					// Not the module of the compile that captured it: fuse
					// gives each copy its generated module, and a deferred
					// fusion (WithFusionFrom) would keep that compile's
					// modules alive through it.
					c.Module = nil
					into[pkg][name] = append(into[pkg][name], c)
				}
			}
			return nil
		},
	}
}

func ruleName(r *ast.Rule) string {
	ref := r.Head.Ref()
	if len(ref) == 0 {
		return ""
	}
	switch v := ref[0].Value.(type) {
	case ast.Var:
		return string(v)
	case ast.String:
		return string(v)
	}
	return ""
}

// fusedSet is the generated package of one set of packages.
type fusedSet struct {
	ref   ast.Ref   // data.assay_engine_internal.gN.assay_fused_findings_
	slots []ruleRef // by the index in the generated heads
	rest  []ruleRef // finding rules left to their own slot
}

// packageSets lists the distinct sets of packages that the per-document
// policies a document can meet use, each as its packages' first policies
// (packagesOf). What a policy takes depends only on the document's bundle
// and collector, so trying every bundle (and none) with every collector
// named by a policy (and any other) covers them all. Sets are of packages,
// not policies: thousands of policies sharing one package (assay mig
// import) make thousands of policy sets but one package set, so one
// generated package.
func (e *Engine) packageSets() [][]*policy {
	bundles := []string{""}
	collectorIDs := []string{""}
	seen := map[string]bool{}
	for _, p := range e.policies {
		if !seen["b:"+p.bundle.Name] {
			seen["b:"+p.bundle.Name] = true
			bundles = append(bundles, p.bundle.Name)
		}
		for _, in := range p.src.Inputs {
			if !seen["c:"+in] {
				seen["c:"+in] = true
				collectorIDs = append(collectorIDs, in)
			}
		}
	}
	var sets [][]*policy
	keys := map[string]bool{}
	for _, b := range bundles {
		for _, c := range collectorIDs {
			d := document.Entry{Bundle: b, CollectorID: c}
			var set []*policy
			for _, p := range e.candidates(c) {
				if !p.aggregate() && p.judges(&d) {
					set = append(set, p)
				}
			}
			if pkgs, k := packagesOf(set); len(set) > 0 && !keys[k] {
				keys[k] = true
				sets = append(sets, pkgs)
			}
		}
	}
	return sets
}

// setKey identifies a set of policies given in index order.
func setKey(pols []*policy) string {
	var b strings.Builder
	for _, p := range pols {
		b.WriteString(strconv.Itoa(p.index))
		b.WriteByte(',')
	}
	return b.String()
}

// fuse generates one package per package set, to be compiled with the
// bundles' modules. It returns the generated modules and the fused sets by
// key, or nil when there is nothing to gain.
func (e *Engine) fuse(captured resolvedRules, unfusable map[string]bool) (map[string]*ast.Module, map[string]*fusedSet) {
	all := map[string]*ast.Module{}
	fused := map[string]*fusedSet{}
	for n, set := range e.packageSets() {
		pkgPath := ast.MustParseRef(fmt.Sprintf("data.%s.g%d", fusedPackage, n))
		mod := &ast.Module{Package: &ast.Package{Path: pkgPath}}
		mod.SetRegoVersionSpan(ast.RegoVersionSpanOf(ast.RegoV1))
		fs := &fusedSet{ref: pkgPath.Append(ast.StringTerm(fusedRule))}
		for _, p := range set {
			pkg := p.src.Package.String()
			for _, name := range p.rules {
				ref := ruleRef{pkg: p.src.Package, rule: name}
				defs := captured[pkg][name]
				if unfusable[pkg+"."+name] || len(defs) == 0 {
					fs.rest = append(fs.rest, ref)
					continue
				}
				idx := len(fs.slots)
				fs.slots = append(fs.slots, ref)
				for _, def := range defs {
					r := def.Copy()
					key := ast.ArrayTerm(ast.IntNumberTerm(idx), r.Head.Key)
					head := ast.NewHead(ast.Var(fusedRule), nil)
					head.Key = key
					head.Reference = ast.Ref{ast.VarTerm(fusedRule)}
					head.Location = def.Head.Location
					r.Head = head
					r.Annotations = nil
					r.Module = mod
					mod.Rules = append(mod.Rules, r)
				}
			}
		}
		if len(fs.slots) < 2 {
			continue // nothing to gain over a slot per rule
		}
		all[fmt.Sprintf("%s/g%d.rego", fusedPackage, n)] = mod
		_, key := packagesOf(set)
		fused[key] = fs
	}
	if len(fused) == 0 {
		return nil, nil
	}
	return all, fused
}

// compileFused compiles the bundles with the fused packages generated from
// their finding rules, for New or, deferred, for fuseDeferred. It returns
// a nil compiler when fusion has nothing to gain or the generated packages
// do not compile: evaluation then does without them.
func (e *Engine) compileFused(prep *prepared) (*ast.Compiler, map[string]*fusedSet) {
	modules, sets := e.fuse(prep.captured, prep.unfusable)
	if len(modules) == 0 {
		return nil, nil
	}
	compiler, diags := prep.compile(e.bundles, e.caps, modules)
	if diags.HasErrors() {
		e.cfg.logger.Debug("policy fusion skipped: generated package does not compile", "error", diags.Error())
		return nil, nil
	}
	return compiler, sets
}

// fuseDeferred counts the documents an evaluation is about to judge and,
// once WithFusionFrom's count is reached, compiles the bundles again with
// the fused packages and evaluates with them from then on. The prepared
// queries of the compile before are dropped. Should the fused packages
// not compile, evaluation goes on without them, as when New fuses. evalMu
// is held: no evaluation runs meanwhile.
func (e *Engine) fuseDeferred(documents int) {
	if !e.fusePending {
		return
	}
	e.judged += documents
	if e.judged < e.cfg.fuseFrom {
		return
	}
	prep := e.deferred
	e.fusePending, e.deferred = false, nil
	if prep == nil {
		var diags hcl.Diagnostics
		if prep, diags = prepareBundles(e.bundles, e.caps, e.cfg.sourceOrder); diags.HasErrors() {
			// New compiled the same modules: this cannot fail where it
			// did not, short of an internal error, and fusion is optional.
			e.cfg.logger.Debug("policy fusion skipped: preparing the bundles failed", "error", diags.Error())
			return
		}
	}
	compiler, sets := e.compileFused(prep)
	if compiler == nil {
		return
	}
	e.queriesMu.Lock()
	defer e.queriesMu.Unlock()
	e.compiler, e.fused = compiler, sets
	e.queries, e.bindings = map[string]*query{}, map[string]*binding{}
}
