package engine

import (
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Cheap tests first. A rule body runs in the order it is written (after
// OPA's reordering for safety), so in
//
//	some f in input.files
//	startswith(f.path, "/srv/app/")
//	f.mode == "0777"
//
// the builtin call runs for every file and the comparison, which rejects
// most of them for a fraction of the cost, only after it. OPA does not
// reorder for cost; this compiler stage does, in the one case where the
// result cannot show it: a comparison of values already bound (a "test")
// moves up past expressions that can neither fail loudly nor do anything
// but succeed, fail or bind. For a binding where the test fails the body
// fails either way; for one where it holds, the same expressions run. The
// findings are the same; only the work done to reach them shrinks (a third
// of the evaluation on bench/enginegen's large shape).
//
// What may be crossed is kept narrow on purpose:
//   - unifications of variables, scalars and references into input or a
//     local value (no data references: evaluating a rule can fail with a
//     conflict error; no objects or sets: their keys can collide);
//   - calls of the pure builtins in pureBuiltins with such operands, whose
//     errors (a wrong type, a bad pattern) make the expression undefined
//     and are not reported: assay evaluates without strict builtin errors.
//
// Never crossed: print (its output order is visible), calls of functions
// a policy defines, every, with modifiers, comprehensions, and the
// expression that binds a variable the test reads. Tests keep their
// order among themselves. `assay test` compiles without this stage, so
// that a trace shows the body as written; explanations sort their lines
// by row and do not change.

// bodiesStage is assay's compiler stage. After OPA's checks and before the
// rule indices are built, on every module (fused ones included), it puts
// cheap tests first in every body, then hands the loops they now follow
// to selections (select.go).
func bodiesStage() ast.CompilerStageDefinition {
	return ast.CompilerStageDefinition{
		Name:       "AssayBodies",
		MetricName: "assay_bodies",
		Stage: func(c *ast.Compiler) *ast.Error {
			for _, m := range c.Modules {
				ast.WalkBodies(m, func(b ast.Body) bool {
					cheapTestsFirst(b)
					return false
				})
				selectLoops(m, c.RewrittenVars)
			}
			return nil
		},
	}
}

// comparisons are the operators of a test: none can fail with an error,
// since OPA orders values of any two types.
var comparisons = map[string]bool{
	ast.Equality.Name: true, ast.Equal.Name: true, ast.NotEqual.Name: true,
	ast.LessThan.Name: true, ast.LessThanEq.Name: true,
	ast.GreaterThan.Name: true, ast.GreaterThanEq.Name: true,
}

// pureBuiltins may be crossed: deterministic, without side effects, and
// without halting errors (OPA halts only on cancellation, print and
// template strings, none of which are here).
var pureBuiltins = map[string]bool{
	"startswith": true, "endswith": true, "contains": true, "count": true,
	"sprintf": true, "lower": true, "upper": true, "trim": true,
	"trim_space": true, "trim_prefix": true, "trim_suffix": true,
	"trim_left": true, "trim_right": true, "split": true, "concat": true,
	"indexof": true, "substring": true, "replace": true,
	"strings.any_prefix_match": true, "strings.any_suffix_match": true,
	"internal.member_2": true, "internal.member_3": true,
	"object.get": true, "regex.match": true, "glob.match": true,
	"is_string": true, "is_number": true, "is_boolean": true,
	"is_array": true, "is_object": true, "is_set": true, "is_null": true,
	"type_name": true, "to_number": true, "abs": true,
	"plus": true, "minus": true, "mul": true, "div": true, "rem": true,
}

// cheapTestsFirst reorders b in place.
func cheapTestsFirst(b ast.Body) {
	// The variables of each expression, closures skipped (theirs are
	// their own), kept in step with b as it is reordered.
	vars := make([]ast.VarSet, len(b))
	for i, e := range b {
		vars[i] = e.Vars(ast.VarVisitorParams{SkipClosures: true, SkipRefCallHead: true})
	}
	test := func(i int) bool { return comparison(b[i]) && boundBy(vars[:i], vars[i]) }
	moved := false
	for j := 1; j < len(b); j++ {
		if !test(j) {
			continue
		}
		// The test moves with the lookups right before it that it reads
		// (f.owner != "root" is compiled to __l = f.owner; neq(__l, "root")):
		// the block b[s..j], which reads reads.
		s, reads := j, vars[j].Copy()
		for s > 0 {
			out, ok := lookup(b[s-1], vars[:s-1])
			if !ok || !reads.Contains(out) {
				break
			}
			s--
			reads.Update(vars[s])
			delete(reads, out)
		}
		// The earliest position the block can take: every expression it
		// passes must be crossable, and what it reads bound before it.
		k := s
		for k > 0 && crossable(b[k-1]) && !test(k-1) && boundBy(vars[:k-1], reads) {
			k--
		}
		if k == s {
			continue
		}
		block, bvars := slices.Clone(b[s:j+1]), slices.Clone(vars[s:j+1])
		copy(b[k+len(block):j+1], b[k:s])
		copy(vars[k+len(block):j+1], vars[k:s])
		copy(b[k:], block)
		copy(vars[k:], bvars)
		moved = true
	}
	if moved {
		for i, e := range b {
			e.Index = i
		}
	}
}

// lookup says whether e is a unification that binds one variable to a
// value found with what prefix has bound (__l = f.owner): it binds once or
// fails, and cannot enumerate. It returns the variable.
func lookup(e *ast.Expr, prefix []ast.VarSet) (ast.Var, bool) {
	if e.Negated || len(e.With) > 0 || !e.IsEquality() {
		return "", false
	}
	terms := e.Terms.([]*ast.Term)
	for i, side := range terms[1:] {
		v, ok := side.Value.(ast.Var)
		other := terms[2-i]
		if !ok || rootVar(v) || !simple(other) {
			continue
		}
		if named(prefix, v) {
			continue // a test, not a binding
		}
		if boundBy(prefix, other.Vars()) {
			return v, true
		}
	}
	return "", false
}

// boundBy says whether every variable of reads is named in prefix: a body
// that passed OPA's safety checks binds a variable in the first expression
// that names it.
func boundBy(prefix []ast.VarSet, reads ast.VarSet) bool {
	for v := range reads {
		if !rootVar(v) && !named(prefix, v) {
			return false
		}
	}
	return true
}

// named says whether an expression of prefix names v.
func named(prefix []ast.VarSet, v ast.Var) bool {
	return slices.ContainsFunc(prefix, func(vs ast.VarSet) bool { return vs.Contains(v) })
}

// rootVar: input and data are bound in every body.
func rootVar(v ast.Var) bool {
	return v.Equal(ast.InputRootDocument.Value) || v.Equal(ast.DefaultRootDocument.Value)
}

// comparison: a comparison of simple operands, at least one of them not a
// constant (a constant comparison is left where it is). It is a test
// where every variable it reads is bound before it; otherwise it binds.
func comparison(e *ast.Expr) bool {
	if e.Negated || len(e.With) > 0 {
		return false
	}
	terms, ok := e.Terms.([]*ast.Term)
	if !ok || len(terms) != 3 || !comparisons[e.Operator().String()] {
		return false
	}
	varying := false
	for _, t := range terms[1:] {
		if !simple(t) {
			return false
		}
		varying = varying || !ast.IsScalar(t.Value)
	}
	return varying
}

// crossable: an expression that does nothing but succeed, fail or bind.
func crossable(e *ast.Expr) bool {
	if len(e.With) > 0 {
		return false
	}
	switch terms := e.Terms.(type) {
	case *ast.Term:
		return simple(terms)
	case []*ast.Term:
		if len(terms) == 0 {
			return false
		}
		name := e.Operator().String()
		if !comparisons[name] && !pureBuiltins[name] {
			return false
		}
		for _, t := range terms[1:] {
			if !operand(t) {
				return false
			}
		}
		return true
	}
	return false
}

// simple: a scalar, a variable, or a reference into input or a local
// value whose path is made of scalars and variables.
func simple(t *ast.Term) bool {
	switch v := t.Value.(type) {
	case ast.Var:
		return true
	case ast.Ref:
		head, ok := v[0].Value.(ast.Var)
		if !ok || head.Equal(ast.DefaultRootDocument.Value) {
			return false
		}
		for _, p := range v[1:] {
			if _, isVar := p.Value.(ast.Var); !isVar && !ast.IsScalar(p.Value) {
				return false
			}
		}
		return true
	}
	return ast.IsScalar(t.Value)
}

// operand: a simple term, or an array of operands (sprintf's arguments).
// Objects and sets are refused: two keys equal at run time are an error.
func operand(t *ast.Term) bool {
	if a, ok := t.Value.(*ast.Array); ok {
		for i := 0; i < a.Len(); i++ {
			if !operand(a.Elem(i)) {
				return false
			}
		}
		return true
	}
	return simple(t)
}
