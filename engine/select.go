package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"
)

// Selection in Go. After reorder.go, the commonest loop of a policy reads
//
//	__f = input.files[__i]     (some f in input.files)
//	__f.mode = "0777"          (f.mode == "0777")
//
// and OPA's evaluator spends some hundred nanoseconds on each element to
// bind it and test it: over documents with hundreds of files and a dozen
// such rules, that is most of the evaluation. This stage hands the
// enumeration and the equality tests right after it to one call that
// scans the collection in Go:
//
//	__c = input.files
//	internal.assay_select(__c, [["mode"]], ["0777"], __s)
//	__f = __s[__i]
//	__f.mode = "0777"
//
// The call returns the elements the tests hold for, in the order OPA
// enumerates them (arrays by index, objects by key, sets by element), and
// the tests stay where they were, so that the body means the same: an
// element is bound only if it is in the collection and passes them, as
// before. The index variable, which now numbers the selected elements,
// must be used nowhere else. Tests are equalities of a scalar with a path
// of names into the element (or the element itself), compared as
// unification compares them (ast.Term.Equal); what they look up is found
// as OPA's reference evaluation finds it. Only tests right after the loop
// are taken: an expression between them could fail loudly for an element
// the selection drops.
//
// The call is given to the query only (query.go), not to the compiler's
// capabilities: a policy cannot call it.

// selectName is the name of the call; no policy can name it.
const selectName = "internal.assay_select"

var selectFunction = &rego.Function{
	Name: selectName,
	Decl: types.NewFunction(
		types.Args(types.A, types.NewArray(nil, types.NewArray(nil, types.S)), types.NewArray(nil, types.A)),
		types.NewArray(nil, types.A)),
}

var selectRef = ast.MustParseRef(selectName)

// selectStage is the compiler stage, after reorderStage.
func selectStage() ast.CompilerStageDefinition {
	return ast.CompilerStageDefinition{
		Name:       "AssaySelectInGo",
		MetricName: "assay_select_in_go",
		Stage: func(c *ast.Compiler) *ast.Error {
			for _, m := range c.Modules {
				uses := map[ast.Var]int{}
				ast.WalkVars(m, func(v ast.Var) bool {
					uses[v]++
					return false
				})
				s := &selector{uses: uses, rewritten: c.RewrittenVars}
				ast.NewGenericVisitor(func(x any) bool {
					switch x := x.(type) {
					case *ast.Rule:
						x.Body = s.rewrite(x.Body)
					case *ast.ArrayComprehension:
						x.Body = s.rewrite(x.Body)
					case *ast.SetComprehension:
						x.Body = s.rewrite(x.Body)
					case *ast.ObjectComprehension:
						x.Body = s.rewrite(x.Body)
					}
					return false
				}).Walk(m)
			}
			return nil
		},
	}
}

// selector rewrites the bodies of one module.
type selector struct {
	uses      map[ast.Var]int // how often each variable appears in the module
	rewritten map[ast.Var]ast.Var
	n         int // selections made, to name their results
}

// rewrite returns b with each loop followed by tests handed to a selection.
func (s *selector) rewrite(b ast.Body) ast.Body {
	var out ast.Body
	for i := 0; i < len(b); i++ {
		elem, coll, index, ok := s.loop(b[i])
		var paths, values []*ast.Term
		for j := i + 1; ok && j < len(b); j++ {
			path, value, isTest := selectTest(b[j], elem)
			if !isTest {
				break
			}
			paths, values = append(paths, path), append(values, value)
		}
		if len(paths) == 0 {
			if out != nil {
				out = append(out, b[i])
			}
			continue
		}
		if out == nil {
			out = append(make(ast.Body, 0, len(b)+1), b[:i]...)
		}
		if _, isRef := coll.Value.(ast.Ref); isRef {
			// A builtin's operands are values: the reference (or input)
			// is read first, and undefined fails the body as the loop did.
			read := ast.Equality.Expr(s.result(), coll)
			read.Location, read.Generated = b[i].Location, true
			out = append(out, read)
			coll = read.Operand(0)
		}
		result := s.result()
		call := ast.NewExpr([]*ast.Term{ast.NewTerm(selectRef), coll, ast.ArrayTerm(paths...), ast.ArrayTerm(values...), result})
		call.Location, call.Generated = b[i].Location, true
		bind := ast.Equality.Expr(elem, ast.RefTerm(result, index))
		bind.Location, bind.Generated = b[i].Location, b[i].Generated
		out = append(out, call, bind)
	}
	if out == nil {
		return b
	}
	for i, e := range out {
		e.Index = i
	}
	return out
}

// result names the variable of a new selection's result: a generated name
// (explanations show no value of those) that the module does not use.
func (s *selector) result() *ast.Term {
	for {
		s.n++
		v := ast.Var(fmt.Sprintf("__localassay%d__", s.n))
		if s.uses[v] == 0 {
			return ast.NewTerm(v)
		}
	}
}

// loop matches elem = coll[index]: elem a variable, coll a reference into
// input or a local value with a path of constants, or a local value, and
// index a variable that appears nowhere else in the module and that the
// author did not name (some i, f in xs: an explanation shows i).
func (s *selector) loop(e *ast.Expr) (elem, coll, index *ast.Term, ok bool) {
	if e.Negated || len(e.With) > 0 || !e.IsEquality() {
		return nil, nil, nil, false
	}
	terms := e.Terms.([]*ast.Term)
	for i, side := range terms[1:] {
		ref, isRef := terms[2-i].Value.(ast.Ref)
		if _, isVar := side.Value.(ast.Var); !isVar || !isRef || len(ref) < 2 {
			continue
		}
		last, isVar := ref[len(ref)-1].Value.(ast.Var)
		if !isVar || s.uses[last] != 1 || !simple(terms[2-i]) || ref[0].Equal(side) {
			continue
		}
		if name, ok := s.rewritten[last]; ok && !name.IsWildcard() && !name.IsGenerated() {
			continue
		}
		prefix := ref[:len(ref)-1]
		for _, p := range prefix[1:] {
			if _, isVar := p.Value.(ast.Var); isVar {
				return nil, nil, nil, false
			}
		}
		coll = ast.NewTerm(prefix) // input stays a reference: a bare Var would bind to the name
		if v, isVar := prefix[0].Value.(ast.Var); isVar && len(prefix) == 1 && !rootVar(v) {
			coll = prefix[0]
		}
		return side, coll, ref[len(ref)-1], true
	}
	return nil, nil, nil, false
}

// selectTest matches elem.a.b = constant (or elem = constant), either way
// round, and returns the path of names and the constant.
func selectTest(e *ast.Expr, elem *ast.Term) (path, value *ast.Term, ok bool) {
	if e.Negated || len(e.With) > 0 || !e.IsEquality() {
		return nil, nil, false
	}
	terms := e.Terms.([]*ast.Term)
	for i, side := range terms[1:] {
		value = terms[2-i]
		switch value.Value.(type) {
		case ast.Null, ast.Boolean, ast.Number, ast.String:
		default:
			continue
		}
		switch x := side.Value.(type) {
		case ast.Var:
			if x.Equal(elem.Value) {
				return ast.ArrayTerm(), value, true
			}
		case ast.Ref:
			if !x[0].Equal(elem) {
				continue
			}
			names := make([]*ast.Term, 0, len(x)-1)
			for _, p := range x[1:] {
				if _, isString := p.Value.(ast.String); !isString {
					return nil, nil, false
				}
				names = append(names, p)
			}
			return ast.ArrayTerm(names...), value, true
		}
	}
	return nil, nil, false
}

var errSelectArgs = errors.New("internal.assay_select: want paths and values of the same length")

// builtinSelect is internal.assay_select(collection, paths, values): the
// elements of collection, in OPA's order of enumeration, at each of whose
// paths is the value at the same position.
func builtinSelect(_ rego.BuiltinContext, coll, pathsTerm, valuesTerm *ast.Term) (*ast.Term, error) {
	paths, ok1 := pathsTerm.Value.(*ast.Array)
	values, ok2 := valuesTerm.Value.(*ast.Array)
	if !ok1 || !ok2 || paths.Len() != values.Len() {
		return nil, errSelectArgs
	}
	match := func(elem *ast.Term) bool {
		for k := range paths.Len() {
			path, ok := paths.Elem(k).Value.(*ast.Array)
			if !ok {
				return false
			}
			v := elem
			for i := 0; i < path.Len() && v != nil; i++ {
				v = child(v, path.Elem(i))
			}
			if v == nil || !v.Equal(values.Elem(k)) {
				return false
			}
		}
		return true
	}
	var out []*ast.Term
	switch c := coll.Value.(type) {
	case *ast.Array:
		for i := range c.Len() {
			if e := c.Elem(i); match(e) {
				out = append(out, e)
			}
		}
	case ast.Object:
		ki := c.KeysIterator()
		for k, more := ki.Next(); more; k, more = ki.Next() {
			if e := c.Get(k); match(e) {
				out = append(out, e)
			}
		}
	case ast.Set:
		for _, e := range c.Slice() {
			if match(e) {
				out = append(out, e)
			}
		}
	}
	return ast.ArrayTerm(out...), nil
}

// child is what OPA's evaluator finds at key in v: a member of an object,
// the key itself if a set holds it, an element of an array.
func child(v, key *ast.Term) *ast.Term {
	switch x := v.Value.(type) {
	case ast.Object:
		return x.Get(key)
	case ast.Set:
		if x.Contains(key) {
			return key
		}
	case *ast.Array:
		return x.Get(key)
	}
	return nil
}

// isSelect says whether e is a selection this stage made, or the read of
// its collection: explanations leave them out (the loop's own line shows
// the element).
func isSelect(e *ast.Expr) bool {
	if e.IsCall() && e.Operator().Equal(selectRef) {
		return true
	}
	if !e.Generated || !e.IsEquality() {
		return false
	}
	v, ok := e.Operand(0).Value.(ast.Var)
	return ok && strings.HasPrefix(string(v), "__localassay")
}
