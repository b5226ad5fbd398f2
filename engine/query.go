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
// policies at once. Its single result binding is an array with one entry
// per slot: [] when the rule is undefined, [value] otherwise.
type query struct {
	policies []*policy
	// fused, when set, is the policies' generated package: the first entry
	// of the result array is its set of [index in fused.slots, result].
	fused *fusedSet
	slots []slot
	pq    rego.PreparedEvalQuery
}

// slot is one rule of one policy in a query's result array.
type slot struct {
	policy *policy
	rule   string
}

// resultVar is the query's only output variable.
const resultVar = "assay_result"

// queryFor returns the prepared query for exactly these policies (given in
// index order), preparing it on first use.
func (e *Engine) queryFor(ctx context.Context, pols []*policy) (*query, error) {
	key := setKey(pols)
	e.queriesMu.Lock()
	defer e.queriesMu.Unlock()
	if q, ok := e.queries[key]; ok {
		return q, nil
	}
	q, err := e.prepare(ctx, pols, e.fused[key])
	if err != nil {
		return nil, err
	}
	e.queries[key] = q
	return q, nil
}

// prepare builds "assay_result := [[v0 | v0 := data.pkg.deny], ...]". The
// comprehensions make an undefined rule an empty entry rather than making
// the whole query undefined.
func (e *Engine) prepare(ctx context.Context, pols []*policy, fused *fusedSet) (*query, error) {
	q := &query{policies: pols, fused: fused}
	var src strings.Builder
	src.WriteString(resultVar + " := [")
	if fused != nil {
		fmt.Fprintf(&src, "[f | f := %s]", fused.ref)
		q.slots = fused.rest
	} else {
		for _, p := range pols {
			for _, r := range p.rules {
				q.slots = append(q.slots, slot{policy: p, rule: r})
			}
		}
	}
	for i, s := range q.slots {
		if i > 0 || fused != nil {
			src.WriteString(", ")
		}
		v := "v" + strconv.Itoa(i)
		fmt.Fprintf(&src, "[%s | %s := %s]", v, v, s.policy.src.Package.Append(ast.StringTerm(s.rule)))
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
