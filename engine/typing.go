package engine

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/schema"
)

// Typed documents. A policy whose input names collectors is compiled
// against the schemas of their document kinds (core/schema): the engine
// gives the policy's package a package-scope METADATA annotation
// `schemas: [{input: schema.assay.…}]`, so that OPA's type checker refuses
// a reference to a field that cannot exist. OPA does not see keys that
// reach a document through a helper function (`setting(k) :=
// input.settings[k]`, the ssh-baseline style) or object.get with a constant
// key; checkConstKeys does. docs/engine.md describes both.

// schemaRoot is where the kinds' schemas are in the compiler's schema set:
// schema.assay.sshd_config, schema.assay.net_interface. Implicit
// (conftest-style) bundles stay untyped unless a module names one in its
// own METADATA (`schemas: [{input: schema.assay.sshd_config}]`).
var schemaRoot = ast.Ref{ast.VarTerm("schema"), ast.StringTerm("assay")}

// hostRef is where policies read the host facts.
var hostRef = ast.MustParseRef("data.assay.host")

// KindSchemaRef is the reference a METADATA annotation uses for the schema
// of one document of kind: schema.assay.net_interface for net.interface.
func KindSchemaRef(kind string) ast.Ref {
	return schemaRoot.Append(ast.StringTerm(strings.ReplaceAll(kind, ".", "_")))
}

// typedPackage is one policy package compiled against schemas.
type typedPackage struct {
	kinds []string
	// mode is bundle.PerDocument, Aggregate (input.documents[_]) or Fleet
	// (input.targets[_].documents[_]).
	mode   bundle.Mode
	ref    ast.Ref
	schema map[string]any
}

// describe names what the input is, for messages: "sshd_config documents".
func (p *typedPackage) describe() string {
	s := strings.Join(p.kinds, " or ") + " documents"
	switch p.mode {
	case bundle.Aggregate:
		s += " (input.documents[_])"
	case bundle.Fleet:
		s += " (input.targets[_].documents[_])"
	}
	return s
}

// typing is what prepareBundles needs to type policies.
type typing struct {
	set       *ast.SchemaSet
	byPackage map[string]*typedPackage
	// byFile maps a module file to its typed package, for messages.
	byFile map[string]*typedPackage
	// mine are the errors typing wrote, rendered as they are.
	mine map[*ast.Error]bool
	// policies are the packages of every policy, typed or not; the other
	// packages are libraries.
	policies map[string]bool
}

// newPackage builds the typing of a package that judges documents of the
// kinds in a mode, and puts its schema in the set.
func (ty *typing) newPackage(kinds []string, mode bundle.Mode) *typedPackage {
	tp := &typedPackage{kinds: slices.Compact(slices.Sorted(slices.Values(kinds))), mode: typingMode(mode)}
	switch {
	case tp.mode == bundle.Fleet:
		tp.schema, _ = schema.Fleet(tp.kinds...)
		tp.ref = schemaRoot.Append(ast.StringTerm("fleet " + strings.Join(tp.kinds, ",")))
	case tp.mode == bundle.Aggregate:
		tp.schema, _ = schema.Aggregate(tp.kinds...)
		tp.ref = schemaRoot.Append(ast.StringTerm("aggregate " + strings.Join(tp.kinds, ",")))
	case len(tp.kinds) == 1:
		tp.schema, _ = schema.Of(tp.kinds[0])
		tp.ref = KindSchemaRef(tp.kinds[0])
	default:
		tp.schema, _ = schema.Document(tp.kinds...)
		tp.ref = schemaRoot.Append(ast.StringTerm("document " + strings.Join(tp.kinds, ",")))
	}
	ty.set.Put(tp.ref, tp.schema)
	return tp
}

// typingMode is a policy's mode as typing tells them apart: aggregate,
// fleet, or per document (which an unset mode means).
func typingMode(m bundle.Mode) bundle.Mode {
	if m == bundle.Aggregate || m == bundle.Fleet {
		return m
	}
	return bundle.PerDocument
}

// typeLibraries types the library packages (no policy of their own) that
// only typed packages use (refer to, not merely import), with the union of
// their kinds, to a fixed point (a library used by a typed library): a
// helper that reads input.openssh_relase is then caught too. A library
// that an untyped policy uses, or that policies use both per document and
// in aggregate, stays untyped; so does one whose package-scope METADATA
// gives input a schema of its own.
func (ty *typing) typeLibraries(modules map[string]*ast.Module) {
	pkgs := map[string]bool{}
	for _, m := range modules {
		pkgs[m.Package.Path.String()] = true
	}
	// users[L] are the packages whose modules refer to library L.
	users := map[string]map[string]bool{}
	for _, m := range modules {
		from := m.Package.Path.String()
		use := func(ref ast.Ref) {
			// The longest package the reference is in is its referent.
			for n := len(ref); n >= 2; n-- {
				to := ref[:n].String()
				if !pkgs[to] {
					continue
				}
				if to != from && !ty.policies[to] {
					if users[to] == nil {
						users[to] = map[string]bool{}
					}
					users[to][from] = true
				}
				return
			}
		}
		// An import is not a use: the references through it are.
		aliases := map[ast.Var]ast.Ref{}
		for _, imp := range m.Imports {
			if ref, ok := imp.Path.Value.(ast.Ref); ok && ref[0].Equal(ast.DefaultRootDocument) && len(ref) > 1 {
				alias := imp.Alias
				if alias == "" {
					if s, ok := ref[len(ref)-1].Value.(ast.String); ok {
						alias = ast.Var(s)
					}
				}
				aliases[alias] = ref
			}
		}
		for _, r := range m.Rules {
			ast.WalkRefs(r, func(ref ast.Ref) bool {
				if v, ok := ref[0].Value.(ast.Var); ok && aliases[v] != nil {
					use(aliases[v].Concat(ref[1:]))
				} else if ref[0].Equal(ast.DefaultRootDocument) {
					use(ref)
				}
				return false
			})
		}
	}
	for changed := true; changed; {
		changed = false
		for lib, from := range users {
			if ty.byPackage[lib] != nil {
				continue
			}
			var kinds []string
			mode, ok := bundle.PerDocument, true
			for i, u := range slices.Sorted(maps.Keys(from)) {
				tp := ty.byPackage[u]
				// A library of fleet policies stays untyped: its helpers
				// take targets and documents alike.
				if tp == nil || tp.mode == bundle.Fleet || (i > 0 && tp.mode != mode) {
					ok = false
					break
				}
				mode = tp.mode
				kinds = append(kinds, tp.kinds...)
			}
			if ok {
				ty.byPackage[lib] = ty.newPackage(kinds, mode)
				changed = true
			}
		}
	}
}

// own records an error typing wrote.
func (ty *typing) own(e *ast.Error) *ast.Error {
	ty.mine[e] = true
	return e
}

// wrote says whether typing wrote the error.
func (ty *typing) wrote(e *ast.Error) bool { return ty != nil && ty.mine[e] }

// newTyping finds the typed packages: the policies of HCL bundles whose
// inputs all name collectors whose document kinds have schemas.
func newTyping(bundles []*bundle.Bundle) *typing {
	ty := &typing{set: ast.NewSchemaSet(), byPackage: map[string]*typedPackage{}, byFile: map[string]*typedPackage{}, mine: map[*ast.Error]bool{}, policies: map[string]bool{}}
	for _, k := range schema.Kinds() {
		s, _ := schema.Of(k)
		ty.set.Put(KindSchemaRef(k), s)
	}
	for _, b := range bundles {
		for _, p := range b.Policies {
			ty.policies[p.Package.String()] = true
		}
		if b.Implicit {
			continue
		}
		collects := map[string]*bundle.Collect{}
		for _, c := range b.Collects {
			collects[c.ID()] = c
		}
		for _, p := range b.Policies {
			kinds, ok := policyKinds(p, collects)
			if !ok || len(p.Package) == 0 {
				continue
			}
			key := p.Package.String()
			if prev := ty.byPackage[key]; prev != nil {
				if prev.mode != typingMode(p.Mode) {
					// One package judged both ways: leave it untyped.
					ty.byPackage[key] = nil
					continue
				}
				kinds = append(kinds, prev.kinds...)
			} else if _, seen := ty.byPackage[key]; seen {
				continue
			}
			tp := ty.newPackage(kinds, p.Mode)
			ty.byPackage[key] = tp
		}
	}
	for k, tp := range ty.byPackage {
		if tp == nil {
			delete(ty.byPackage, k)
		}
	}
	return ty
}

// policyKinds are the document kinds of a policy's inputs, and false when
// it has none or one has no schema.
func policyKinds(p *bundle.Policy, collects map[string]*bundle.Collect) ([]string, bool) {
	if len(p.Inputs) == 0 {
		return nil, false
	}
	var kinds []string
	for _, in := range p.Inputs {
		c := collects[in]
		if c == nil || len(c.Type.DocumentKinds) == 0 {
			return nil, false
		}
		for _, k := range c.Type.DocumentKinds {
			if _, ok := schema.JSON(k); !ok {
				return nil, false
			}
			kinds = append(kinds, k)
		}
	}
	return kinds, true
}

// annotate returns modules with the input schema annotation added to each
// typed package: to its package-scope METADATA if a module has one (which
// keeps a schema the author gave input), else to one of its modules. The
// modules it changes are copies: the bundles' own are never written to.
// Schema references of the authors' own annotations that the set does not
// hold are added as schemas that allow anything, as OPA does without a
// schema set, so that they keep compiling.
func (ty *typing) annotate(modules map[string]*ast.Module) map[string]*ast.Module {
	keys := make([]string, 0, len(modules))
	for k := range modules {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ty.typeLibraries(modules)
	out := make(map[string]*ast.Module, len(modules))
	done := map[string]bool{}
	// First the modules with a package-scope annotation, then any.
	for pass := 0; pass < 2; pass++ {
		for _, k := range keys {
			m := modules[k]
			for _, a := range m.Annotations {
				for _, s := range a.Schemas {
					if s.Schema != nil && ty.set.Get(s.Schema) == nil {
						ty.set.Put(s.Schema, map[string]any{})
					}
				}
			}
			pkg := m.Package.Path.String()
			tp := ty.byPackage[pkg]
			if tp == nil || done[pkg] {
				continue
			}
			idx := slices.IndexFunc(m.Annotations, func(a *ast.Annotations) bool { return a.Scope == "package" })
			if pass == 0 && idx < 0 {
				continue
			}
			cpy := m.Copy()
			// input, and the host facts every policy sees at
			// data.assay.host, unless the author typed them already.
			schemas := []*ast.SchemaAnnotation{
				{Path: ast.InputRootRef.Copy(), Schema: tp.ref},
				{Path: hostRef.Copy(), Schema: KindSchemaRef("host")},
			}
			if idx < 0 {
				a := &ast.Annotations{Scope: "package", Location: cpy.Package.Location}
				cpy.Annotations = append(cpy.Annotations, a.Copy(cpy.Package))
				idx = len(cpy.Annotations) - 1
			}
			a := cpy.Annotations[idx]
			for _, sa := range schemas {
				if !slices.ContainsFunc(a.Schemas, func(s *ast.SchemaAnnotation) bool { return s.Path.Equal(sa.Path) }) {
					a.Schemas = append(a.Schemas, sa)
				}
			}
			out[k] = cpy
			done[pkg] = true
			if loc := m.Package.Location; loc != nil {
				ty.byFile[loc.File] = tp
			}
		}
	}
	for k, m := range modules {
		if _, ok := out[k]; !ok {
			out[k] = m
		}
		if tp := ty.byPackage[m.Package.Path.String()]; tp != nil && m.Package.Location != nil {
			ty.byFile[m.Package.Location.File] = tp
		}
	}
	return out
}

// fieldError rewrites OPA's "undefined ref" type error for a typed input
// into one that says which field is unknown, with a suggestion, located
// at the field itself. It returns false for any other error.
func (ty *typing) fieldError(e *ast.Error) (*ast.Error, bool) {
	if ty == nil {
		return nil, false
	}
	d, ok := e.Details.(*ast.RefErrInvalidDetail)
	if !ok || e.Code != ast.TypeErr || d.Pos <= 0 || d.Pos >= len(d.Ref) || len(d.OneOf) == 0 {
		return nil, false
	}
	key, ok := d.Ref[d.Pos].Value.(ast.String)
	if !ok {
		return nil, false
	}
	known := make([]string, 0, len(d.OneOf))
	for _, v := range d.OneOf {
		if s, ok := v.(ast.String); ok {
			known = append(known, string(s))
		}
	}
	what := "these documents"
	if d.Ref.HasPrefix(hostRef) {
		what = "the host facts (data.assay.host, a host document)"
	} else if e.Location != nil {
		if tp := ty.byFile[e.Location.File]; tp != nil {
			what = tp.describe()
		}
	}
	msg := fmt.Sprintf("%s: %s have no field %q%s", d.Ref[:d.Pos+1], what, string(key), hint(string(key), known))
	loc := e.Location
	if l := d.Ref[d.Pos].Location; l != nil {
		loc = l
	}
	return ty.own(&ast.Error{Code: ast.TypeErr, Message: msg, Location: loc}), true
}

// hint suggests the known key meant: the same key in lower case, or the
// nearest by edit distance; else how to see them all.
func hint(got string, known []string) string {
	lower := strings.ToLower(got)
	if lower != got && slices.Contains(known, lower) {
		return fmt.Sprintf(". Keys are lower-case: %q.", lower)
	}
	best, bestDist := "", 3+len(got)/8
	for _, k := range known {
		if d := levenshtein.Distance(lower, k, nil); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		// An abbreviation: the one key that starts with it.
		for _, k := range known {
			if len(lower) >= 4 && strings.HasPrefix(k, lower) {
				if best != "" {
					best = ""
					break
				}
				best = k
			}
		}
	}
	if best != "" {
		return fmt.Sprintf(". Did you mean %q?", best)
	}
	if len(known) <= 12 {
		return ". It has " + quoteAll(known) + "."
	}
	return fmt.Sprintf(". It has %d others: `assay schema` lists them.", len(known))
}

func quoteAll(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// keyPath is where a function argument is used as a key: input.PATH[arg].
type keyPath []string

// checkConstKeys finds the functions (of any package) whose argument is
// used as a key below input (input.settings[k], object.get(input.settings,
// k, …), or passed on to such a function), and checks every constant
// argument that a typed package passes them, and every constant key of
// object.get on its input, against the package's schema.
func (ty *typing) checkConstKeys(c *ast.Compiler) ast.Errors {
	if len(ty.byPackage) == 0 {
		return nil
	}
	funcs := keyFunctions(c)
	var errs ast.Errors
	for _, m := range c.Modules {
		tp := ty.byPackage[m.Package.Path.String()]
		if tp == nil {
			continue
		}
		check := func(op string, path keyPath, key *ast.Term) {
			s, ok := key.Value.(ast.String)
			if !ok {
				return
			}
			node := tp.schema
			for _, p := range path {
				var open bool
				node, _, open, ok = schema.Field(node, p)
				if !ok || open || node == nil {
					return // the helper reads what this kind lacks, or anything goes below
				}
			}
			_, known, open, ok := schema.Field(node, string(s))
			if ok || open {
				return
			}
			where := "input"
			if len(path) > 0 {
				where += "." + strings.Join(path, ".")
			}
			call := fmt.Sprintf("%s(%q)", op, string(s))
			if op == "object.get" {
				call = fmt.Sprintf("object.get(%s, %q, …)", where, string(s))
			}
			msg := fmt.Sprintf("%s reads %s[%q]: %s have no such key%s",
				call, where, string(s), tp.describe(), hint(string(s), known))
			errs = append(errs, ty.own(&ast.Error{Code: ast.TypeErr, Message: msg, Location: key.Location}))
		}
		var locals map[ast.Var]*ast.Term
		visit := func(op ast.Ref, args []*ast.Term) {
			name := op.String()
			if name == "object.get" && len(args) >= 2 {
				path, ok := inputPath(args[0], locals)
				if !ok {
					return
				}
				switch k := args[1].Value.(type) {
				case ast.String:
					check("object.get", path, args[1])
				case *ast.Array:
					// object.get(input, ["settings", "x"], d): a path,
					// each key checked below the ones before it.
					for i := 0; i < k.Len(); i++ {
						t := k.Elem(i)
						check("object.get", path, t)
						s, ok := t.Value.(ast.String)
						if !ok {
							return
						}
						path = append(path, string(s))
					}
				}
				return
			}
			for i, paths := range funcs[name] {
				if i >= len(args) {
					continue
				}
				for _, p := range paths {
					check(shortName(op), p, args[i])
				}
			}
		}
		for _, r := range m.Rules {
			for rule := r; rule != nil; rule = rule.Else {
				locals = localRefs(rule)
				eachCall(rule, visit)
			}
		}
	}
	errs.Sort()
	return slices.CompactFunc(errs, func(a, b *ast.Error) bool { return a.Error() == b.Error() })
}

// shortName is the last two parts of a function's path: lib.setting.
func shortName(op ast.Ref) string {
	s := op.String()
	parts := strings.Split(s, ".")
	if len(parts) > 2 {
		return strings.Join(parts[len(parts)-2:], ".")
	}
	return s
}

// inputPath returns PATH of a reference input.PATH whose parts are all
// constant strings.
func inputPath(t *ast.Term, locals map[ast.Var]*ast.Term) (keyPath, bool) {
	if v, ok := t.Value.(ast.Var); ok && locals[v] != nil {
		t = locals[v]
	}
	ref, ok := t.Value.(ast.Ref)
	if !ok || len(ref) == 0 || !ref[0].Equal(ast.InputRootDocument) {
		return nil, false
	}
	var out keyPath
	for _, p := range ref[1:] {
		s, ok := p.Value.(ast.String)
		if !ok {
			return nil, false
		}
		out = append(out, string(s))
	}
	return out, true
}

// keyFunctions maps each function (by path) to, per argument position,
// the paths below input where the argument is used as a key, directly or
// through the functions it calls, to a fixed point.
func keyFunctions(c *ast.Compiler) map[string]map[int][]keyPath {
	type edge struct {
		caller string
		arg    int
		callee string
		at     int
	}
	funcs := map[string]map[int][]keyPath{}
	var edges []edge
	add := func(fn string, arg int, p keyPath) bool {
		if funcs[fn] == nil {
			funcs[fn] = map[int][]keyPath{}
		}
		if slices.ContainsFunc(funcs[fn][arg], func(q keyPath) bool { return slices.Equal(p, q) }) {
			return false
		}
		funcs[fn][arg] = append(funcs[fn][arg], slices.Clone(p))
		return true
	}
	for _, m := range c.Modules {
		for _, r := range m.Rules {
			for rule := r; rule != nil; rule = rule.Else {
				if len(rule.Head.Args) == 0 {
					continue
				}
				fn := rule.Ref().String() // with its package: data.t.lib.setting
				args := map[ast.Var]int{}
				for i, a := range rule.Head.Args {
					if v, ok := a.Value.(ast.Var); ok {
						args[v] = i
					}
				}
				argOf := func(t *ast.Term) (int, bool) {
					v, ok := t.Value.(ast.Var)
					if !ok {
						return 0, false
					}
					i, ok := args[v]
					return i, ok
				}
				ast.WalkRefs(rule, func(ref ast.Ref) bool {
					if len(ref) < 2 || !ref[0].Equal(ast.InputRootDocument) {
						return false
					}
					var path keyPath
					for _, p := range ref[1:] {
						if i, ok := argOf(p); ok {
							add(fn, i, path)
							break
						}
						s, ok := p.Value.(ast.String)
						if !ok {
							break
						}
						path = append(path, string(s))
					}
					return false
				})
				locals := localRefs(rule)
				calls := func(op ast.Ref, operands []*ast.Term) {
					name := op.String()
					if name == "object.get" && len(operands) >= 2 {
						if path, ok := inputPath(operands[0], locals); ok {
							if i, ok := argOf(operands[1]); ok {
								add(fn, i, path)
							}
						}
						return
					}
					for at, o := range operands {
						if i, ok := argOf(o); ok {
							edges = append(edges, edge{caller: fn, arg: i, callee: name, at: at})
						}
					}
				}
				eachCall(rule, calls)
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, e := range edges {
			for _, p := range funcs[e.callee][e.at] {
				if add(e.caller, e.arg, p) {
					changed = true
				}
			}
		}
	}
	return funcs
}

// eachCall calls f with the operator and operands of every call in the
// rule: expressions, and calls left as terms.
func eachCall(rule *ast.Rule, f func(op ast.Ref, args []*ast.Term)) {
	ast.WalkExprs(rule, func(e *ast.Expr) bool {
		if e.IsCall() {
			f(e.Operator(), e.Operands())
		}
		return false
	})
	ast.WalkTerms(rule, func(t *ast.Term) bool {
		if call, ok := t.Value.(ast.Call); ok && len(call) > 0 {
			if op, ok := call[0].Value.(ast.Ref); ok {
				f(op, call[1:])
			}
		}
		return false
	})
}

// localRefs maps the compiler's generated variables to the references
// they were bound to: the compiler rewrites object.get(input.settings, …)
// to __local1__ = input.settings; object.get(__local1__, …).
func localRefs(rule *ast.Rule) map[ast.Var]*ast.Term {
	out := map[ast.Var]*ast.Term{}
	ast.WalkExprs(rule, func(e *ast.Expr) bool {
		if !e.IsEquality() && !e.IsAssignment() {
			return false
		}
		a, b := e.Operand(0), e.Operand(1)
		for _, pair := range [2][2]*ast.Term{{a, b}, {b, a}} {
			v, ok := pair[0].Value.(ast.Var)
			if _, isRef := pair[1].Value.(ast.Ref); ok && isRef && v.IsGenerated() {
				out[v] = pair[1]
			}
		}
		return false
	})
	return out
}
