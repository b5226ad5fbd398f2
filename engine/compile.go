package engine

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/assay-dev/assay/bundle"
)

// prepared are the bundles' modules ready to compile: annotated for typing,
// their refs resolved once so that their finding rules could be captured
// for fusion (fuse.go) before the one full compile.
type prepared struct {
	modules   map[string]*ast.Module
	ty        *typing
	resolved  *ast.Compiler // run up to StageResolveRefs only
	captured  resolvedRules
	unfusable map[string]bool
	// skipTypes: the full compile leaves out OPA's type checker (trusted).
	skipTypes bool
	// sourceOrder: the full compile keeps the bodies as written
	// (reorder.go, select.go).
	sourceOrder bool
}

// prepareBundles resolves the refs of every module of every bundle, and
// captures their finding rules. Errors are those of a full compile, so
// that they are reported as one would report them. sourceOrder keeps the
// bodies as written (tests only).
func prepareBundles(bundles []*bundle.Bundle, caps *ast.Capabilities, sourceOrder bool) (*prepared, hcl.Diagnostics) {
	modules := map[string]*ast.Module{}
	for key, m := range compiledByKey(bundles) {
		modules[key] = m.Parsed
	}
	ty := newTyping(bundles)
	p := &prepared{modules: ty.annotate(modules), ty: ty, captured: resolvedRules{}, unfusable: map[string]bool{}, sourceOrder: sourceOrder}
	p.skipTypes = trusted(bundles, p.modules)
	p.resolved = newCompiler(caps).WithSchemas(ty.set).
		WithStageAfterID(ast.StageResolveRefs, captureStage(p.captured, p.unfusable)).
		WithOnlyStagesUpTo(ast.StageResolveRefs)
	p.resolved.Compile(p.modules)
	if p.resolved.Failed() {
		_, diags := p.compile(bundles, caps, nil)
		if !diags.HasErrors() {
			// The full compile runs the same stages and more: it cannot
			// pass where a part of it failed. Say so rather than go on.
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Internal error",
				Detail: "resolving the bundles' references failed where compiling them did not: " + p.resolved.Errors.Error()}}
		}
		return nil, diags
	}
	return p, nil
}

// compile compiles the modules, with the generated ones of extra (the fused
// packages) when there are any, into the compiler evaluation uses.
func (p *prepared) compile(bundles []*bundle.Bundle, caps *ast.Capabilities, extra map[string]*ast.Module) (*ast.Compiler, hcl.Diagnostics) {
	modules := p.modules
	if len(extra) > 0 {
		modules = make(map[string]*ast.Module, len(p.modules)+len(extra))
		maps.Copy(modules, p.modules)
		maps.Copy(modules, extra)
	}
	c := newCompiler(caps).WithSchemas(p.ty.set)
	if !p.sourceOrder {
		c = c.WithStageAfterID(ast.StageCheckDeprecatedBuiltins, bodiesStage())
	}
	if p.skipTypes {
		// Type-checked by the tests (make test): a fifth of start-up.
		c = c.WithSkipStages(ast.StageCheckTypes)
	}
	c.Compile(modules)
	if c.Failed() {
		return nil, compileDiagnostics(c.Errors, bundles, p.ty)
	}
	if errs := p.ty.checkConstKeys(c); len(errs) > 0 {
		return nil, compileDiagnostics(errs, bundles, p.ty)
	}
	return c, nil
}

// trusted says whether the type checker may be skipped: every bundle is
// compiled into the binary, whose Rego (and the fused packages generated
// from it) the type checker passed when the binary was tested
// (make test: TestEmbeddedBundlesTypeCheck compiles them with it), and no module has a
// "with" modifier. The checker otherwise only reports errors, but
// evaluation reads its types to tell a function replaced by "with" from
// replaced data: without them, "f(x) with f as v" calls the real f. Every
// other check, the sandbox's included, still runs.
func trusted(bundles []*bundle.Bundle, modules map[string]*ast.Module) bool {
	if !bundle.AllEmbedded(bundles) {
		return false
	}
	for _, m := range modules {
		with := false
		ast.WalkExprs(m, func(x *ast.Expr) bool {
			with = with || len(x.With) > 0
			return with
		})
		if with {
			return false
		}
	}
	return true
}

// compiledModules are the modules of the bundle that evaluation compiles:
// its modules, and for an implicit (conftest-style) bundle its test modules
// too, since conftest compiles every .rego file of a policy directory: a
// directory whose tests do not compile is refused by both.
func compiledModules(b *bundle.Bundle) []*bundle.Module {
	if !b.Implicit || len(b.Tests) == 0 {
		return b.Modules
	}
	return append(append([]*bundle.Module(nil), b.Modules...), b.Tests...)
}

// compiledByKey yields each parsed module the engine compiles, in order,
// with its compiler key: what prepareBundles compiles, and what the
// precompiled form's digest and sources cover.
func compiledByKey(bundles []*bundle.Bundle) iter.Seq2[string, *bundle.Module] {
	return func(yield func(string, *bundle.Module) bool) {
		for bi, b := range bundles {
			for mi, m := range compiledModules(b) {
				if m != nil && m.Parsed != nil && !yield(moduleKey(bi, mi, m.Filename), m) {
					return
				}
			}
		}
	}
}

func moduleKey(bundleIndex, moduleIndex int, filename string) string {
	return fmt.Sprintf("%d/%d/%s", bundleIndex, moduleIndex, filename)
}

func newCompiler(caps *ast.Capabilities) *ast.Compiler {
	return ast.NewCompiler().
		WithCapabilities(caps).
		WithEnablePrintStatements(true).
		WithUseTypeCheckAnnotations(true)
}

// compileDiagnostics turns OPA's located errors into diagnostics, sorted by
// file, line and column, with the sandbox's refusals made explicit. The
// bundle package maps locations, so that inline heredoc Rego points at the
// right HCL line and column.
func compileDiagnostics(errs ast.Errors, bundles []*bundle.Bundle, ty *typing) hcl.Diagnostics {
	errs = append(ast.Errors(nil), errs...)
	for i, e := range errs {
		if f, ok := ty.fieldError(e); ok {
			errs[i] = f
		}
	}
	errs.Sort()
	diags := make(hcl.Diagnostics, 0, len(errs))
	hints := newHinter(bundles, sandboxCapabilities())
	for _, e := range errs {
		d := bundle.RegoDiagnostics(e, bundles...)[0]
		if ty.wrote(e) {
			d.Summary = "Unknown document field"
			d.Detail = e.Message // already sentences, ending in "?" or "."
		} else if name, ok := refusedBuiltin(e); ok {
			d.Summary = name + " is not allowed in assay policies"
			d.Detail = "Policies run sandboxed: " + refusedBuiltins[name]
		} else if h := hints.hint(e); h != "" {
			d.Detail += " " + h
		}
		diags = append(diags, d)
	}
	return diags
}

// undefinedFunction matches the type checker's message for a call to a
// builtin the capabilities do not list.
var undefinedFunction = regexp.MustCompile(`^undefined function ([a-z0-9_.]+)`)

func refusedBuiltin(e *ast.Error) (string, bool) {
	m := undefinedFunction.FindStringSubmatch(e.Message)
	if m == nil {
		return "", false
	}
	_, ok := refusedBuiltins[m[1]]
	return m[1], ok
}

// sandboxCapabilities are OPA's capabilities without the builtins that
// reach outside the evaluation: the network and the file system. Pure CIDR
// arithmetic (net.cidr_*) stays.
func sandboxCapabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	kept := caps.Builtins[:0:0]
	for _, b := range caps.Builtins {
		if _, refused := refusedBuiltins[b.Name]; !refused {
			kept = append(kept, b)
		}
	}
	caps.Builtins = kept
	// An empty (non-nil) list allows no host at all, should any builtin
	// that honours allow_net remain.
	caps.AllowNet = []string{}
	return caps
}

// refusedBuiltins are removed by the sandbox, with the reason shown to the
// policy author.
var refusedBuiltins = map[string]string{
	"http.send":          "policies never touch the network.",
	"net.lookup_ip_addr": "it resolves names over the network; policies never touch the network.",
	"json.match_schema":  "a schema's $ref may read files of the scanning host (file://); policies never touch the file system.",
	"json.verify_schema": "a schema's $ref may read files of the scanning host (file://); policies never touch the file system.",
}

// packageRules indexes the finding rules of every compiled package by
// package path (ast.Ref.String), sorted: one pass over the modules, so that
// a bundle of thousands of policies does not scan every module per policy.
func packageRules(c *ast.Compiler) map[string][]string {
	seen := map[string]map[string]bool{}
	for _, m := range c.Modules {
		key := m.Package.Path.String()
		for _, r := range m.Rules {
			if name := ruleName(r); bundle.RuleRE.MatchString(name) {
				if seen[key] == nil {
					seen[key] = map[string]bool{}
				}
				seen[key][name] = true
			}
		}
	}
	out := make(map[string][]string, len(seen))
	for key, names := range seen {
		rules := make([]string, 0, len(names))
		for n := range names {
			rules = append(rules, n)
		}
		sort.Strings(rules)
		out[key] = rules
	}
	return out
}

// isWarnRule says whether a rule produces warnings rather than violations.
func isWarnRule(rule string) bool { return strings.HasPrefix(rule, "warn") }

// hostPath is where Input.Host is published: data.assay.host.
var hostPath = storage.MustParsePath("/assay/host")

// mergeData merges the bundles' data documents. Objects merge key by key;
// any other clash between two bundles is an error. Each bundle's params go
// to data.assay.params["BUNDLE"] (an empty object for a bundle without),
// so a policy reads its thresholds from one place whatever overlays set.
func mergeData(bundles []*bundle.Bundle) (map[string]any, error) {
	out := map[string]any{}
	for _, b := range bundles {
		if err := mergeInto(out, b.Data, "", "two bundles"); err != nil {
			return nil, fmt.Errorf("bundle %q: data: %w", b.Name, err)
		}
	}
	assay, ok := out["assay"].(map[string]any)
	if !ok {
		if _, exists := out["assay"]; exists {
			return nil, errors.New("data: data.assay must be an object: assay publishes host facts at data.assay.host")
		}
		assay = map[string]any{}
	}
	// A copy: the bundles' own maps are never written to.
	assay = maps.Clone(assay)
	out["assay"] = assay
	if _, exists := assay["host"]; exists {
		return nil, errors.New("data: data.assay.host is reserved for host facts")
	}
	assay["host"] = map[string]any{}
	if _, exists := assay["params"]; exists {
		return nil, errors.New("data: data.assay.params is reserved for the bundles' params")
	}
	params := make(map[string]any, len(bundles))
	for _, b := range bundles {
		values, err := b.ParamValues()
		if err != nil {
			return nil, fmt.Errorf("bundle %q: %w", b.Name, err)
		}
		params[b.Name] = values
	}
	assay["params"] = params
	return out, nil
}

// checkExtraData refuses data given beside the bundles' (WithData,
// TestOptions.Data: conftest's --data) that takes data.assay.
func checkExtraData(extra map[string]any) error {
	if _, ok := extra["assay"]; ok {
		return errors.New("data: data.assay is reserved for assay's own facts; rename that key of the --data files")
	}
	return nil
}

// mergeInto merges src into dst, objects key by key; who says what defined
// a value twice, for the error.
func mergeInto(dst, src map[string]any, prefix, who string) error {
	for k, v := range src {
		cur, exists := dst[k]
		if !exists {
			dst[k] = v
			continue
		}
		a, aok := cur.(map[string]any)
		b, bok := v.(map[string]any)
		if !aok || !bok {
			return fmt.Errorf("data.%s%s is defined by %s", prefix, k, who)
		}
		merged := maps.Clone(a)
		if err := mergeInto(merged, b, prefix+k+".", who); err != nil {
			return err
		}
		dst[k] = merged
	}
	return nil
}

// newStore holds the data document. Reads return AST values, which the
// evaluator uses as they are, with no conversion per evaluation. The
// values are made here, each distinct string once (sharedStrings), and
// the store takes them as they are.
func newStore(data map[string]any) (storage.Store, error) {
	conv := sharedStrings{}
	values := make(map[string]any, len(data))
	for k, v := range data {
		t, err := conv.term(v)
		if err != nil {
			return nil, fmt.Errorf("data.%s: %w", k, err)
		}
		values[k] = t.Value
	}
	return inmem.NewFromObjectWithOpts(values,
		inmem.OptRoundTripOnWrite(false),
		inmem.OptReturnASTValuesOnRead(true)), nil
}

// sharedStrings converts data documents to Rego values as
// ast.InterfaceToValue does, but makes one term per distinct string and
// shares it: names repeat in every object of a list, and many values too
// (an imported MIG investigation repeats ten names and two values for
// each of thousands of users). Terms are never changed once made, and the
// store changes only the objects on the path it writes (data.assay.host,
// live data), never a string.
type sharedStrings map[string]*ast.Term

func (s sharedStrings) str(x string) *ast.Term {
	t, ok := s[x]
	if !ok {
		t = ast.StringTerm(x)
		s[x] = t
	}
	return t
}

func (s sharedStrings) term(x any) (*ast.Term, error) {
	switch x := x.(type) {
	case string:
		return s.str(x), nil
	case map[string]any:
		pairs := make([][2]*ast.Term, 0, len(x))
		for k, v := range x {
			t, err := s.term(v)
			if err != nil {
				return nil, err
			}
			pairs = append(pairs, [2]*ast.Term{s.str(k), t})
		}
		return ast.ObjectTerm(pairs...), nil
	case []any:
		terms := make([]*ast.Term, len(x))
		for i, e := range x {
			t, err := s.term(e)
			if err != nil {
				return nil, err
			}
			terms[i] = t
		}
		return ast.ArrayTerm(terms...), nil
	}
	v, err := ast.InterfaceToValue(x)
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(v), nil
}

// exceptionRule is the rule conftest reads exceptions from (eval.go).
const exceptionRule = "exception"

// exceptionPackages lists the packages that define an exception rule.
func exceptionPackages(c *ast.Compiler) map[string]bool {
	out := map[string]bool{}
	for _, m := range c.Modules {
		for _, r := range m.Rules {
			if ruleName(r) == exceptionRule {
				out[m.Package.Path.String()] = true
			}
		}
	}
	return out
}
