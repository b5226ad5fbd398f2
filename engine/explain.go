package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/assay-dev/assay/core/report"
)

// Explain evaluates one policy again with OPA's tracer and says, for each
// finding, which lines of the rule that reported it held and with which
// values: the rule's own body, not the helpers it calls, so that an
// explanation stays a few lines long. The tracer keeps nothing but what
// each finding's explanation needs (no buffered trace), so explaining
// costs what the evaluation costs, and a little time.

// Bounds of an explanation.
const (
	// MaxExplanations is the most findings one Explain explains; the
	// others are counted in Explained.Unexplained.
	MaxExplanations = 100
	// MaxExplainLines is the most lines of a rule one explanation shows
	// (so that, with the finding, the file and a line saying how many more
	// there are, it fits in 15 lines).
	MaxExplainLines = 12
	// maxBindings is the most values shown on one line.
	maxBindings = 4
	// maxValueRunes, maxNameRunes and maxTextRunes cut a value, the name
	// of a call or reference, and a source line.
	maxValueRunes = 60
	maxNameRunes  = 40
	maxTextRunes  = 100
)

// Explained is what Explain found for one policy.
type Explained struct {
	// Policy is "BUNDLE/ID".
	Policy       string
	Explanations []Explanation
	// Unexplained counts the findings beyond MaxExplanations.
	Unexplained int
}

// Explanation says why one finding was reported.
type Explanation struct {
	Finding report.Finding
	// Rule is the finding rule that reported it: "deny", "warn_x".
	Rule string
	// File is the Rego (or, for inline Rego, HCL) file of the rule.
	File  string
	Lines []ExplainLine
	// Omitted counts the lines left out beyond MaxExplainLines.
	Omitted int
}

// ExplainLine is one line of the rule: its head, or a body line that held.
type ExplainLine struct {
	Row    int
	Text   string // the source line, indentation kept, tabs as two spaces
	Values []Binding
}

// Binding is a name (a variable, a call, an input reference) with the
// value it had.
type Binding struct {
	Name, Value string
}

// FindPolicy returns "BUNDLE/ID" of the policy name names ("ID" or
// "BUNDLE/ID"), or an error saying which exist.
func (e *Engine) FindPolicy(name string) (string, error) {
	p, err := e.lookupPolicy(name)
	if err != nil {
		return "", err
	}
	if p.fleet() {
		return "", errFleetExplain(p)
	}
	return p.bundle.Name + "/" + p.src.ID, nil
}

// errFleetExplain: Explain traces one target's evaluation, and a fleet
// policy is evaluated over every target at once (EvalFleet).
func errFleetExplain(p *policy) error {
	return fmt.Errorf("%s/%s is a fleet policy (mode = \"fleet\"), judged over every target at once, which --explain does not trace: test its Rego with assay test and input.targets", p.bundle.Name, p.src.ID)
}

func (e *Engine) lookupPolicy(name string) (*policy, error) {
	var found []*policy
	var names []string
	for _, p := range e.policies {
		full := p.bundle.Name + "/" + p.src.ID
		names = append(names, full)
		if name == full || name == p.src.ID {
			found = append(found, p)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		return nil, fmt.Errorf("policy %q is in several bundles: name it as BUNDLE/ID (%s/%s, %s/%s)", name,
			found[0].bundle.Name, name, found[1].bundle.Name, name)
	}
	msg := fmt.Sprintf("no policy %q in the loaded bundles", name)
	ids := make([]string, 0, len(e.policies))
	for _, p := range e.policies {
		ids = append(ids, p.src.ID)
	}
	if s := closest(name, append(ids, names...)); s != "" {
		msg += fmt.Sprintf(": did you mean %q?", s)
	} else if len(names) <= 10 {
		sort.Strings(names)
		msg += " (policies: " + strings.Join(names, ", ") + ")"
	}
	return nil, errors.New(msg)
}

// Explain explains the findings of the policy name names ("ID" or
// "BUNDLE/ID") on the input. It evaluates the policy alone, on the
// documents it judges, with the tracer; a document whose evaluation fails
// is skipped (Eval reports its error). redact, when not nil, is applied to
// every value and source line before it is cut short, so that a secret the
// run holds leaves no prefix behind.
func (e *Engine) Explain(ctx context.Context, in Input, name string, redact func(string) string) (*Explained, error) {
	p, err := e.lookupPolicy(name)
	if err != nil {
		return nil, err
	}
	if p.fleet() {
		return nil, errFleetExplain(p)
	}
	e.evalMu.Lock()
	defer e.evalMu.Unlock()
	if err := e.publishHost(ctx, in.Host); err != nil {
		return nil, err
	}
	q, err := e.prepare(ctx, []*policy{p}, nil)
	if err != nil {
		return nil, err
	}
	r := &run{e: e, in: &in}
	x := &explainer{e: e, p: p, r: r, out: &Explained{Policy: p.bundle.Name + "/" + p.src.ID}, seen: map[string]bool{}, redact: redact}
	if x.redact == nil {
		x.redact = func(s string) string { return s }
	}
	if p.aggregate() || p.combined(&in) {
		var docs []int
		for i := range in.Documents {
			if p.judges(&in.Documents[i]) {
				docs = append(docs, i)
			}
		}
		if len(docs) > 0 {
			j := job{doc: -1, policy: p, docs: docs}
			if err := x.explainJob(ctx, q, r, &j); err != nil {
				return nil, err
			}
		}
	} else {
		for i := range in.Documents {
			if !p.judges(&in.Documents[i]) {
				continue
			}
			if err := x.explainJob(ctx, q, r, &job{doc: i, group: []*policy{p}}); err != nil {
				return nil, err
			}
		}
	}
	sort.SliceStable(x.out.Explanations, func(i, j int) bool {
		a, b := x.out.Explanations[i].Finding, x.out.Explanations[j].Finding
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Message < b.Message
	})
	return x.out, nil
}

// explainer gathers the explanations of one Explain.
type explainer struct {
	e    *Engine
	p    *policy
	r    *run
	out  *Explained
	seen map[string]bool // fingerprints explained
	// redact replaces the secrets the run holds in a value or a line.
	redact func(string) string
	src    map[string][]string
}

// explainJob evaluates the policy on one job's input with the tracer and
// turns each exit of a finding rule into explanations.
func (x *explainer) explainJob(ctx context.Context, q *query, r *run, j *job) error {
	var (
		input ast.Value
		dc    docContext
		err   error
	)
	switch {
	case j.doc >= 0:
		d := &r.in.Documents[j.doc]
		input, err = regoValue(d)
		dc = docContext{label: documentLabel(d, input, j.doc), collector: d.CollectorID, path: documentPath(d, input)}
	case x.p.combined(r.in):
		input, dc, err = r.combinedInput(j.docs)
	default:
		input, dc, err = r.aggregateInput(j.docs)
	}
	if err != nil {
		return nil // Eval reports the document's error
	}
	t := &explainTracer{x: x}
	ectx, cancel := context.WithTimeout(ctx, x.e.cfg.evalTimeout)
	defer cancel()
	if _, err := q.pq.Eval(ectx, rego.EvalParsedInput(input), rego.EvalQueryTracer(t)); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return nil // Eval reports the policy's error
	}
	for _, ex := range t.exits {
		s := slot{policy: x.p, rule: ex.rule}
		fs, err := r.decodeRule(s, ex.value, &dc)
		if err != nil {
			continue
		}
		for _, f := range fs {
			if x.seen[f.Fingerprint] {
				continue
			}
			x.seen[f.Fingerprint] = true
			if len(x.out.Explanations) == MaxExplanations {
				x.out.Unexplained++
				continue
			}
			x.out.Explanations = append(x.out.Explanations, Explanation{Finding: f, Rule: ex.rule, File: ex.file, Lines: ex.lines, Omitted: ex.omitted})
		}
	}
	return nil
}

// exit is one time a finding rule of the policy held.
type exit struct {
	rule    string
	value   ast.Value
	file    string
	lines   []ExplainLine
	omitted int
}

// explainTracer records, at each exit of one of the policy's finding
// rules, the rule's value and its lines with the values of their terms.
// Bindings are read at the exit, while they hold.
type explainTracer struct {
	x     *explainer
	exits []exit
}

func (t *explainTracer) Enabled() bool { return true }

func (t *explainTracer) Config() topdown.TraceConfig { return topdown.TraceConfig{} }

func (t *explainTracer) TraceEvent(e topdown.Event) {
	if e.Op != topdown.ExitOp {
		return
	}
	r, ok := e.Node.(*ast.Rule)
	if !ok || r.Module == nil || !r.Module.Package.Path.Equal(t.x.p.src.Package) {
		return
	}
	name, ok := headName(r)
	// The policy's rules hold its exception rule too, for Eval to read;
	// it reports nothing.
	if !ok || name == exceptionRule || !slices.Contains(t.x.p.rules, name) {
		return
	}
	// Every exit is kept until decoded (one set element, one exit), but
	// past the bound of explanations none will be shown: stop there.
	if len(t.exits) > 4*MaxExplanations {
		return
	}
	var v *ast.Term
	switch {
	case r.Head.Key != nil && r.Head.RuleKind() == ast.MultiValue:
		v = e.Plug(r.Head.Key)
		v = ast.NewTerm(ast.NewSet(v))
	case r.Head.Value != nil:
		v = e.Plug(r.Head.Value)
	default:
		return
	}
	if !v.IsGround() {
		return
	}
	ex := exit{rule: name, value: v.Value}
	if r.Location != nil {
		ex.file = r.Location.File
	}
	ex.lines, ex.omitted = t.x.lines(r, &e)
	t.exits = append(t.exits, ex)
}

// lines are the rule's head line and the lines of its body, each with the
// values of its variables, calls and input references at the exit.
func (x *explainer) lines(r *ast.Rule, e *topdown.Event) ([]ExplainLine, int) {
	rows := map[int][]*ast.Expr{}
	var order []int
	add := func(row int) {
		if _, ok := rows[row]; !ok {
			rows[row] = nil
			order = append(order, row)
		}
	}
	if r.Location != nil {
		add(r.Location.Row)
	}
	for _, expr := range r.Body {
		if expr.Location == nil || (r.Location != nil && expr.Location.File != r.Location.File) || isSelect(expr) {
			continue
		}
		add(expr.Location.Row)
		rows[expr.Location.Row] = append(rows[expr.Location.Row], expr)
	}
	sort.Ints(order)
	file := ""
	if r.Location != nil {
		file = r.Location.File
	}
	var out []ExplainLine
	omitted := 0
	for _, row := range order {
		if len(out) == MaxExplainLines {
			omitted++
			continue
		}
		text := x.sourceLine(file, row)
		if text == "" && len(rows[row]) > 0 {
			text, _, _ = strings.Cut(string(rows[row][0].Location.Text), "\n")
		}
		line := ExplainLine{Row: row, Text: cut(x.redact(text), maxTextRunes)}
		// The head's values make the finding, shown above it: only the
		// body's are worth a look.
		if r.Location == nil || row != r.Location.Row {
			line.Values = x.bindings(rows[row], e, text)
		}
		out = append(out, line)
	}
	return out, omitted
}

// bindings are the values worth showing on one line: the rule's own
// variables (by the names written) and what references into them or into
// the input select, and the results of calls that are compared or tested
// rather than passed on, each once, in the order the line names them.
func (x *explainer) bindings(exprs []*ast.Expr, e *topdown.Event, text string) []Binding {
	rewritten := x.e.compiler.RewrittenVars
	var out []Binding
	seen := map[string]bool{}
	put := func(name string, v ast.Value) {
		name = cut(x.redact(name), maxNameRunes)
		if seen[name] {
			return
		}
		seen[name] = true
		val := "undefined"
		if v != nil {
			val = cut(x.redact(v.String()), maxValueRunes)
		}
		out = append(out, Binding{Name: name, Value: val})
	}
	// Generated variables that a variable of the author takes, or that
	// another call consumes: the calls producing them need no value of
	// their own (the variable, or the outer call, shows it).
	passedOn := map[ast.Var]bool{}
	for _, expr := range exprs {
		switch {
		case expr.IsEquality() || expr.IsAssignment():
			if va, ok := expr.Operand(0).Value.(ast.Var); ok && userVar(rewritten, va) {
				if vb, ok := expr.Operand(1).Value.(ast.Var); ok {
					passedOn[vb] = true
				}
			}
		case x.producesValue(expr):
			ops := expr.Operands()
			for _, arg := range ops[:len(ops)-1] {
				ast.WalkVars(arg, func(v ast.Var) bool {
					passedOn[v] = true
					return false
				})
			}
		}
	}
	for _, expr := range exprs {
		// x := input.a[i] and some x in input.a: x says what the
		// reference selects; count(input.a): so does the call's result.
		var assigned ast.Value
		if expr.IsEquality() || expr.IsAssignment() {
			if v, ok := expr.Operand(0).Value.(ast.Var); ok && (userVar(rewritten, v) || passedOn[v]) {
				assigned = expr.Operand(1).Value
			}
		}
		vis := ast.NewGenericVisitor(func(node any) bool {
			switch t := node.(type) {
			case ast.Ref:
				if assigned == nil || ast.Compare(assigned, t) != 0 {
					x.refBinding(t, e, put)
				}
				// the terms selecting into it (x[i]) have variables too
				for _, sel := range t[1:] {
					ast.WalkVars(sel, func(v ast.Var) bool {
						x.varBinding(v, e, put)
						return false
					})
				}
				return true
			case ast.Var:
				x.varBinding(t, e, put)
			}
			return false
		})
		vis.Walk(expr)
		if x.producesValue(expr) && expr.Location != nil {
			ops := expr.Operands()
			if v, ok := ops[len(ops)-1].Value.(ast.Var); ok && !userVar(rewritten, v) && !passedOn[v] {
				if p := e.Plug(ops[len(ops)-1]); p.IsGround() {
					name, _, _ := strings.Cut(string(expr.Location.Text), "\n")
					put(name, p.Value)
				}
			}
		}
	}
	// In the order the line names them; what it does not name (a call's
	// text cut short) last.
	sort.SliceStable(out, func(i, j int) bool { return position(text, out[i].Name) < position(text, out[j].Name) })
	if len(out) > maxBindings {
		out = out[:maxBindings]
	}
	return out
}

// varBinding shows a variable of the author's with its value.
func (x *explainer) varBinding(v ast.Var, e *topdown.Event, put func(string, ast.Value)) {
	name, ok := x.e.compiler.RewrittenVars[v]
	if !ok || name.IsWildcard() || name.IsGenerated() {
		return
	}
	if p := e.Plug(ast.VarTerm(string(v))); p.IsGround() {
		put(string(name), p.Value)
	}
}

// refBinding shows what a reference into the input or into a variable of
// the author's selects ("undefined" when nothing): input.settings.x,
// e.type. References into data are left out.
func (x *explainer) refBinding(ref ast.Ref, e *topdown.Event, put func(string, ast.Value)) {
	if len(ref) < 2 {
		return
	}
	var base ast.Value
	var name string
	switch head := ref[0].Value.(type) {
	case ast.Var:
		if head.Equal(ast.InputRootDocument.Value) {
			in := e.Input()
			if in == nil {
				return
			}
			base, name = in.Value, "input"
			break
		}
		n, ok := x.e.compiler.RewrittenVars[head]
		if !ok || n.IsWildcard() || n.IsGenerated() {
			return
		}
		p := e.Plug(ref[0])
		if !p.IsGround() {
			return
		}
		base, name = p.Value, string(n)
	default:
		return
	}
	path := make(ast.Ref, 0, len(ref)-1)
	for _, t := range ref[1:] {
		p := e.Plug(t)
		if !p.IsGround() {
			return
		}
		path = append(path, p)
	}
	v, err := base.Find(path)
	if err != nil {
		v = nil
	}
	put(name+ast.Ref(append(ast.Ref{ast.VarTerm("_")}, path...)).String()[1:], v)
}

// producesValue says whether a call expression's last operand is its
// output: a builtin or function called with one argument more than it
// takes.
func (x *explainer) producesValue(expr *ast.Expr) bool {
	ops := expr.Operands()
	return expr.IsCall() && len(ops) > 0 && x.e.compiler.GetArity(expr.Operator()) == len(ops)-1
}

// position is where name first appears in text, or past its end.
func position(text, name string) int {
	if i := strings.Index(text, name); i >= 0 {
		return i
	}
	return len(text) + 1
}

// userVar says whether v is a variable the author wrote.
func userVar(rewritten map[ast.Var]ast.Var, v ast.Var) bool {
	name, ok := rewritten[v]
	return ok && !name.IsWildcard() && !name.IsGenerated()
}

// sourceLine is line row of file as written in the bundle, tabs as two
// spaces, trailing space removed.
func (x *explainer) sourceLine(file string, row int) string {
	if x.src == nil {
		x.src = map[string][]string{}
		for _, m := range x.p.bundle.Modules {
			if m == nil {
				continue
			}
			lines := strings.Split(string(m.Source), "\n")
			cur := x.src[m.Filename]
			if len(cur) < len(lines) {
				cur = append(cur, make([]string, len(lines)-len(cur))...)
			}
			for i, l := range lines {
				if cur[i] == "" {
					cur[i] = l
				}
			}
			x.src[m.Filename] = cur
		}
	}
	lines := x.src[file]
	if row < 1 || row > len(lines) {
		return ""
	}
	return strings.TrimRight(strings.ReplaceAll(lines[row-1], "\t", "  "), " \r")
}
