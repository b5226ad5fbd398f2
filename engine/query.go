package engine

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown/print"
)

// query is one prepared query that evaluates the finding rules of a set of
// Rego packages at once. Its single result binding is an array with one
// entry per slot: [] when the rule is undefined, [value] otherwise; when the
// set is fused (fuse.go), the first entry is instead the generated
// package's set of [index in fused.slots, result].
//
// Queries are prepared per set of packages, not per set of policies: the
// policies of a generated bundle (assay mig import) share one package, each
// judging its own collector's documents, so thousands of document groups
// need one prepared query between them rather than one each.
type query struct {
	fused *fusedSet
	slots []ruleRef
	pq    rego.PreparedEvalQuery
}

// ruleRef is one finding rule of one package.
type ruleRef struct {
	pkg  ast.Ref
	rule string
}

// binding is a query bound to the policies of one group: which policy
// reports each slot's value, and each fused slot's results.
type binding struct {
	q     *query
	slots []slot
	// fused lists, per fused.slots index, the policies that own it.
	fused [][]*policy
}

// slot attributes the value at index at of a query's slots to a policy's
// rule. Policies that share a package (with disjoint inputs, so that no
// document reaches two of them) each own that package's slots.
type slot struct {
	at     int
	policy *policy
	rule   string
}

// resultVar is the query's only output variable.
const resultVar = "assay_result"

// packagesOf returns the distinct packages of the policies (given in index
// order), in order of first use, each as the first policy that uses it
// (policies on one package have the same finding rules), and their key.
func packagesOf(pols []*policy) ([]*policy, string) {
	var pkgs []*policy
	var key strings.Builder
	seen := map[string]bool{}
	for _, p := range pols {
		k := p.src.Package.String()
		if !seen[k] {
			seen[k] = true
			pkgs = append(pkgs, p)
			key.WriteString(k)
			key.WriteByte(',')
		}
	}
	return pkgs, key.String()
}

// queryFor returns the query for exactly these policies (given in index
// order) bound to them, preparing the query for their packages on first use.
func (e *Engine) queryFor(ctx context.Context, pols []*policy) (*binding, error) {
	key := setKey(pols)
	e.queriesMu.Lock()
	defer e.queriesMu.Unlock()
	if b, ok := e.bindings[key]; ok {
		return b, nil
	}
	pkgs, pkgKey := packagesOf(pols)
	q, ok := e.queries[pkgKey]
	if !ok {
		var err error
		if q, err = e.prepare(ctx, pkgs, e.fused[pkgKey]); err != nil {
			return nil, err
		}
		e.queries[pkgKey] = q
	}
	b := &binding{q: q}
	owners := func(r ruleRef) []*policy {
		var out []*policy
		for _, p := range pols {
			if p.src.Package.Equal(r.pkg) {
				out = append(out, p)
			}
		}
		return out
	}
	for at, r := range q.slots {
		for _, p := range owners(r) {
			b.slots = append(b.slots, slot{at: at, policy: p, rule: r.rule})
		}
	}
	if q.fused != nil {
		b.fused = make([][]*policy, len(q.fused.slots))
		for i, r := range q.fused.slots {
			b.fused[i] = owners(r)
		}
	}
	e.bindings[key] = b
	return b, nil
}

// prepare builds "assay_result := [[v0 | v0 := data.pkg.deny], ...]" over
// the finding rules of each package (pkgs stand for their packages), or over
// the fused package and the rules fusion left out. The comprehensions make
// an undefined rule an empty entry rather than making the whole query
// undefined.
func (e *Engine) prepare(ctx context.Context, pkgs []*policy, fused *fusedSet) (*query, error) {
	q := &query{fused: fused}
	var src strings.Builder
	src.WriteString(resultVar + " := [")
	if fused != nil {
		fmt.Fprintf(&src, "[f | f := %s]", fused.ref)
		q.slots = fused.rest
	} else {
		for _, p := range pkgs {
			for _, r := range p.rules {
				q.slots = append(q.slots, ruleRef{pkg: p.src.Package, rule: r})
			}
		}
	}
	for i, s := range q.slots {
		if i > 0 || fused != nil {
			src.WriteString(", ")
		}
		v := "v" + strconv.Itoa(i)
		fmt.Fprintf(&src, "[%s | %s := %s]", v, v, s.pkg.Append(ast.StringTerm(s.rule)))
	}
	src.WriteString("]")
	body, err := ast.ParseBodyWithOpts(src.String(), ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	r := rego.New(
		rego.ParsedQuery(body),
		rego.Compiler(e.compiler),
		rego.Store(e.store),
		rego.Capabilities(e.caps),
		rego.Function2(selectFunction, builtinSelect),
		// opa.runtime() sees nothing of the scanner's environment.
		rego.Runtime(ast.NewTerm(ast.NewObject())),
		rego.EnablePrintStatements(true),
		rego.PrintHook(printHook{e.cfg.logger}),
		// Keep results as AST terms: decoding reads them directly, with no
		// conversion to Go values and back.
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }),
	)
	pq, err := r.PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare query: %w", err)
	}
	q.pq = pq
	return q, nil
}

// values is what one evaluation of a query returned.
type values struct {
	fused ast.Value   // the fused set, or nil
	slots []ast.Value // one per slot, nil where the rule is undefined
}

// eval runs the query on one input.
func (q *query) eval(ctx context.Context, input ast.Value) (values, error) {
	out := values{slots: make([]ast.Value, len(q.slots))}
	rs, err := q.pq.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil || len(rs) == 0 {
		return out, err
	}
	t, ok := rs[0].Bindings[resultVar].(*ast.Term)
	if !ok {
		return out, fmt.Errorf("query returned %T, want a term", rs[0].Bindings[resultVar])
	}
	offset := 0
	if q.fused != nil {
		offset = 1
	}
	arr, ok := t.Value.(*ast.Array)
	if !ok || arr.Len() != len(q.slots)+offset {
		return out, fmt.Errorf("query returned %v, want an array of %d", t, len(q.slots)+offset)
	}
	entry := func(i int) ast.Value {
		if e, ok := arr.Elem(i).Value.(*ast.Array); ok && e.Len() > 0 {
			return e.Elem(0).Value
		}
		return nil
	}
	if q.fused != nil {
		out.fused = entry(0)
	}
	for i := range out.slots {
		out.slots[i] = entry(i + offset)
	}
	return out, nil
}

// printHook sends Rego print() output to the logger at debug level, never
// to stdout where it would corrupt a report.
type printHook struct{ logger *slog.Logger }

func (h printHook) Print(pctx print.Context, msg string) error {
	ctx := pctx.Context
	if ctx == nil {
		ctx = context.Background()
	}
	loc := ""
	if pctx.Location != nil {
		loc = fmt.Sprintf("%s:%d", pctx.Location.File, pctx.Location.Row)
	}
	h.logger.DebugContext(ctx, "rego print", "location", loc, "msg", msg)
	return nil
}
