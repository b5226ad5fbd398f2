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
// entry per slot: [] when the rule is undefined, [value] otherwise.
//
// Queries are prepared per set of packages, not per set of policies: the
// policies of a generated bundle (assay mig import) share one package, each
// judging its own collector's documents, so thousands of document groups
// need one prepared query between them rather than one each.
type query struct {
	slots []ruleRef
	pq    rego.PreparedEvalQuery
}

// ruleRef is one rule of one package in a query's result array.
type ruleRef struct {
	pkg  ast.Ref
	rule string
}

// binding is a query bound to the policies of one group: which policy
// reports each slot's value.
type binding struct {
	q     *query
	slots []slot
}

// slot attributes the value at index at of a query's result to a policy's
// rule. Policies that share a package (with disjoint inputs, so that no
// document reaches two of them) each own that package's slots.
type slot struct {
	at     int
	policy *policy
	rule   string
}

// resultVar is the query's only output variable.
const resultVar = "assay_result"

// queryFor returns the query for exactly these policies (given in index
// order) bound to them, preparing the query for their packages on first use.
func (e *Engine) queryFor(ctx context.Context, pols []*policy) (*binding, error) {
	var key strings.Builder
	for _, p := range pols {
		key.WriteString(strconv.Itoa(p.index))
		key.WriteByte(',')
	}
	e.queriesMu.Lock()
	defer e.queriesMu.Unlock()
	if b, ok := e.bindings[key.String()]; ok {
		return b, nil
	}

	// The packages in first-use order; one entry per package however many
	// of the policies share it.
	var pkgs []*policy
	seen := map[string]int{}
	for _, p := range pols {
		k := p.src.Package.String()
		if _, ok := seen[k]; !ok {
			seen[k] = len(pkgs)
			pkgs = append(pkgs, p)
		}
	}
	var pkgKey strings.Builder
	for _, p := range pkgs {
		pkgKey.WriteString(p.src.Package.String())
		pkgKey.WriteByte(',')
	}
	q, ok := e.queries[pkgKey.String()]
	if !ok {
		var err error
		if q, err = e.prepare(ctx, pkgs); err != nil {
			return nil, err
		}
		e.queries[pkgKey.String()] = q
	}

	b := &binding{q: q}
	first := make([]int, len(pkgs)) // index of each package's first slot
	for i, p := range pkgs {
		first[i] = -1
		for at, s := range q.slots {
			if s.pkg.Equal(p.src.Package) {
				first[i] = at
				break
			}
		}
	}
	for _, p := range pols {
		start := first[seen[p.src.Package.String()]]
		for i, r := range p.rules {
			b.slots = append(b.slots, slot{at: start + i, policy: p, rule: r})
		}
	}
	e.bindings[key.String()] = b
	return b, nil
}

// prepare builds "assay_result := [[v0 | v0 := data.pkg.deny], ...]" over
// the finding rules of each policy's package (policies that share a package
// have the same rules, so one of them stands for it). The comprehensions
// make an undefined rule an empty entry rather than making the whole query
// undefined.
func (e *Engine) prepare(ctx context.Context, pkgs []*policy) (*query, error) {
	q := &query{}
	var src strings.Builder
	src.WriteString(resultVar + " := [")
	for _, p := range pkgs {
		for _, r := range p.rules {
			if len(q.slots) > 0 {
				src.WriteString(", ")
			}
			v := "v" + strconv.Itoa(len(q.slots))
			ref := p.src.Package.Append(ast.StringTerm(r))
			fmt.Fprintf(&src, "[%s | %s := %s]", v, v, ref)
			q.slots = append(q.slots, ruleRef{pkg: p.src.Package, rule: r})
		}
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

// eval runs the query on one input and returns one value per slot, nil
// where the rule is undefined.
func (q *query) eval(ctx context.Context, input ast.Value) ([]ast.Value, error) {
	rs, err := q.pq.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return nil, err
	}
	out := make([]ast.Value, len(q.slots))
	if len(rs) == 0 {
		return out, nil
	}
	t, ok := rs[0].Bindings[resultVar].(*ast.Term)
	if !ok {
		return nil, fmt.Errorf("query returned %T, want a term", rs[0].Bindings[resultVar])
	}
	arr, ok := t.Value.(*ast.Array)
	if !ok || arr.Len() != len(q.slots) {
		return nil, fmt.Errorf("query returned %v, want an array of %d", t, len(q.slots))
	}
	for i := range out {
		if entry, ok := arr.Elem(i).Value.(*ast.Array); ok && entry.Len() > 0 {
			out[i] = entry.Elem(0).Value
		}
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
