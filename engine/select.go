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
// enumeration and the tests right after it to one call that scans the
// collection in Go:
//
//	__c = input.files
//	internal.assay_select(__c, [[["mode"], "eq", "0777"]], __s)
//	__f = __s[__i]
//	__f.mode = "0777"
//
// The call returns the elements the tests hold for, in the order OPA
// enumerates them (arrays by index, objects by key, sets by element), and
// the tests stay where they were, so that the body means the same: an
// element is bound only if it is in the collection and passes them, as
// before. The index variable, which now numbers the selected elements,
// must be used nowhere else. Tests compare a path of names into the
// element (or the element itself) with a scalar, with ==, !=, <, <=, >
// or >= (selectTest), as OPA's unification and builtins compare; what
// they look up is found as OPA's reference evaluation finds it. Only
// tests right after the loop are taken: an expression between them could
// fail loudly for an element the selection drops. A selection that kept
// too much would still be right (the tests stay); one that dropped an
// element the tests pass would not, so that is what the tests look for.
//
// The call is given to the query only (query.go), not to the compiler's
// capabilities: a policy cannot call it.

// selectName is the name of the call; no policy can name it.
const selectName = "internal.assay_select"

var selectFunction = &rego.Function{
	Name: selectName,
	Decl: types.NewFunction(types.Args(types.A, types.NewArray(nil, types.A)), types.NewArray(nil, types.A)),
}

var selectRef = ast.MustParseRef(selectName)

// selectVarPrefix begins the names of the variables a selection adds (its
// collection, its result): generated names (__local…), of which
// explanations show no value.
const selectVarPrefix = "__localassay"

// selectLoops hands the loops of m's bodies to selections. rewritten is
// the compiler's map of generated variables to the author's names.
func selectLoops(m *ast.Module, rewritten map[ast.Var]ast.Var) {
	uses := map[ast.Var]int{}
	ast.WalkVars(m, func(v ast.Var) bool {
		uses[v]++
		return false
	})
	s := &selector{uses: uses, rewritten: rewritten}
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
		var criteria []*ast.Term
		for j := i + 1; ok && j < len(b); {
			crit, n := selectTest(b, j, elem)
			if n == 0 {
				break
			}
			criteria = append(criteria, crit)
			j += n
		}
		if len(criteria) == 0 {
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
		call := ast.NewExpr([]*ast.Term{ast.NewTerm(selectRef), coll, ast.ArrayTerm(criteria...), result})
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

// result names a new variable of a selection, one the module does not use.
func (s *selector) result() *ast.Term {
	for {
		s.n++
		v := ast.Var(fmt.Sprintf("%s%d__", selectVarPrefix, s.n))
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

// selectTest matches, at b[j], a test of the element against a constant
// and returns it as a criterion, [path, operator, constant], and the
// number of expressions it spans (0: none). Three forms, the constant on
// either side:
//
//	elem.a.b = "x"                      unification (elem = "x" too)
//	__l = elem.a.b; neq(__l, "x")       a lookup, then a comparison
//	neq(elem, "x")                      a comparison of the element
//
// The comparisons are OPA's ==, !=, <, <=, >, >=. In the second form,
// should __l be bound already, the lookup tests elem.a.b = __l and the
// comparison tests __l: an element passing both passes the criterion,
// which is all a selection needs (the body still runs both).
func selectTest(b ast.Body, j int, elem *ast.Term) (crit *ast.Term, n int) {
	e := b[j]
	if e.Negated || len(e.With) > 0 {
		return nil, 0
	}
	if e.IsEquality() {
		if path, value, ok := elemVersus(e.Operand(0), e.Operand(1), elem); ok {
			return criterion(path, "eq", value), 1
		}
		// A lookup of the element, then a comparison of what it found.
		if j+1 >= len(b) {
			return nil, 0
		}
		for i, side := range []*ast.Term{e.Operand(0), e.Operand(1)} {
			l, isVar := side.Value.(ast.Var)
			other := e.Operand(1 - i)
			if !isVar || rootVar(l) || l.Equal(elem.Value) {
				continue
			}
			path, ok := elemPath(other, elem)
			if !ok || path.Value.(*ast.Array).Len() == 0 {
				continue
			}
			op, value, ok := compares(b[j+1], side)
			if !ok {
				continue
			}
			return criterion(path, op, value), 2
		}
		return nil, 0
	}
	if op, value, ok := compares(e, elem); ok {
		return criterion(ast.ArrayTerm(), op, value), 1
	}
	return nil, 0
}

func criterion(path *ast.Term, op string, value *ast.Term) *ast.Term {
	return ast.ArrayTerm(path, ast.StringTerm(op), value)
}

// selectOps are the comparisons a selection makes, by OPA's name of the
// builtin; mirrored is the operator with its operands swapped; selectHolds
// compares as OPA's unification and builtins do (topdown/comparison.go).
var (
	selectOps   = map[string]string{"equal": "eq", "neq": "neq", "lt": "lt", "lte": "lte", "gt": "gt", "gte": "gte"}
	mirrored    = map[string]string{"eq": "eq", "neq": "neq", "lt": "gt", "lte": "gte", "gt": "lt", "gte": "lte"}
	selectHolds = map[string]func(v, c *ast.Term) bool{
		"eq":  func(v, c *ast.Term) bool { return v.Equal(c) },
		"neq": func(v, c *ast.Term) bool { return !v.Equal(c) },
		"lt":  func(v, c *ast.Term) bool { return v.Value.Compare(c.Value) < 0 },
		"lte": func(v, c *ast.Term) bool { return v.Value.Compare(c.Value) <= 0 },
		"gt":  func(v, c *ast.Term) bool { return v.Value.Compare(c.Value) > 0 },
		"gte": func(v, c *ast.Term) bool { return v.Value.Compare(c.Value) >= 0 },
	}
)

// compares matches a comparison (a test: no output) of x with a scalar,
// either way round, and returns the operator as if x were on its left.
func compares(e *ast.Expr, x *ast.Term) (op string, value *ast.Term, ok bool) {
	if e.Negated || len(e.With) > 0 || !e.IsCall() {
		return "", nil, false
	}
	terms := e.Terms.([]*ast.Term)
	op, known := selectOps[e.Operator().String()]
	if !known || len(terms) != 3 {
		return "", nil, false
	}
	switch {
	case terms[1].Equal(x) && ast.IsScalar(terms[2].Value):
		return op, terms[2], true
	case terms[2].Equal(x) && ast.IsScalar(terms[1].Value):
		return mirrored[op], terms[1], true
	}
	return "", nil, false
}

// elemVersus matches a and b as a path into elem (or elem) and a scalar,
// either way round.
func elemVersus(a, b, elem *ast.Term) (path, value *ast.Term, ok bool) {
	for _, pair := range [][2]*ast.Term{{a, b}, {b, a}} {
		if !ast.IsScalar(pair[1].Value) {
			continue
		}
		if path, ok := elemPath(pair[0], elem); ok {
			return path, pair[1], true
		}
	}
	return nil, nil, false
}

// elemPath matches elem, or a reference into it by names, and returns the
// names.
func elemPath(t, elem *ast.Term) (*ast.Term, bool) {
	switch x := t.Value.(type) {
	case ast.Var:
		if x.Equal(elem.Value) {
			return ast.ArrayTerm(), true
		}
	case ast.Ref:
		if !x[0].Equal(elem) {
			return nil, false
		}
		names := make([]*ast.Term, 0, len(x)-1)
		for _, p := range x[1:] {
			if _, isString := p.Value.(ast.String); !isString {
				return nil, false
			}
			names = append(names, p)
		}
		return ast.ArrayTerm(names...), true
	}
	return nil, false
}

var errSelectArgs = errors.New("internal.assay_select: want criteria [path, operator, constant]")

// builtinSelect is internal.assay_select(collection, criteria): the
// elements of collection, in OPA's order of enumeration, for which every
// criterion [path, operator, constant] holds, the value at path compared
// with the constant as OPA's builtins compare (ast.Term.Equal for == and
// !=, ast.Value.Compare for the others) and a missing value failing.
func builtinSelect(_ rego.BuiltinContext, coll, criteriaTerm *ast.Term) (*ast.Term, error) {
	criteria, ok := criteriaTerm.Value.(*ast.Array)
	if !ok {
		return nil, errSelectArgs
	}
	// Read once per call, not once per element.
	type test struct {
		path  *ast.Array
		holds func(v, c *ast.Term) bool
		value *ast.Term
	}
	tests := make([]test, criteria.Len())
	for k := range tests {
		c, ok := criteria.Elem(k).Value.(*ast.Array)
		if !ok || c.Len() != 3 {
			return nil, errSelectArgs
		}
		path, ok1 := c.Elem(0).Value.(*ast.Array)
		op, ok2 := c.Elem(1).Value.(ast.String)
		holds, known := selectHolds[string(op)]
		if !ok1 || !ok2 || !known {
			return nil, errSelectArgs
		}
		tests[k] = test{path, holds, c.Elem(2)}
	}
	match := func(elem *ast.Term) bool {
		for _, t := range tests {
			v := elem
			for i := 0; i < t.path.Len() && v != nil; i++ {
				v = child(v, t.path.Elem(i))
			}
			if v == nil || !t.holds(v, t.value) {
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
	return ok && strings.HasPrefix(string(v), selectVarPrefix)
}
