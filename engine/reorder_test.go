package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
)

func withSourceOrder() Option { return func(c *config) { c.sourceOrder = true } }

// compiledRows compiles one module, with or without the reordering stage,
// and returns the source rows of rule deny's expressions in the order
// they run, closures' expressions after the one holding them, repeats of
// a row in a row kept once.
func compiledRows(t *testing.T, src string, reorder bool) []int {
	t.Helper()
	m, err := ast.ParseModuleWithOpts("p.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	c := newCompiler(sandboxCapabilities())
	if reorder {
		c = c.WithStageAfterID(ast.StageCheckDeprecatedBuiltins, bodiesStage())
	}
	c.Compile(map[string]*ast.Module{"p.rego": m})
	if c.Failed() {
		t.Fatal(c.Errors)
	}
	var rows []int
	for _, r := range c.Modules["p.rego"].Rules {
		if r.Head.Name != "deny" {
			continue
		}
		ast.WalkExprs(r.Body, func(e *ast.Expr) bool {
			if len(rows) == 0 || rows[len(rows)-1] != e.Location.Row {
				rows = append(rows, e.Location.Row)
			}
			return false
		})
		for i, e := range r.Body {
			if e.Index != i {
				t.Errorf("expression %v has index %d at %d", e, e.Index, i)
			}
		}
	}
	return rows
}

func TestCheapTestsFirst(t *testing.T) {
	tests := []struct {
		name string
		body string // the body of deny, from row 5
		want []int  // rows in the order they run
	}{
		{"a test goes before the builtin", `
	some f in input.files
	startswith(f.path, "/srv/")
	f.mode == "0777"
	msg := sprintf("%s", [f.path])`, []int{5, 7, 6, 8}},
		{"past the binding of another value, not its own", `
	some f in input.files
	m := f.mode
	startswith(f.path, "/srv/")
	m == "0777"
	msg := f.path`, []int{5, 6, 8, 7, 9}},
		{"tests keep their order", `
	some f in input.files
	startswith(f.path, "/srv/")
	f.mode == "0777"
	f.owner != "root"
	msg := f.path`, []int{5, 7, 8, 6, 9}},
		{"input tests go first", `
	some f in input.files
	endswith(f.path, ".conf")
	input.kind == "host"
	msg := f.path`, []int{7, 5, 6, 8}},
		{"not past print", `
	some f in input.files
	print(f.path)
	f.mode == "0777"
	msg := f.path`, []int{5, 6, 7, 8}},
		{"not past a rule", `
	some f in input.files
	allowed[f.path]
	f.mode == "0777"
	msg := f.path`, []int{5, 6, 7, 8}},
		{"not past a function", `
	some f in input.files
	srv(f.path)
	f.mode == "0777"
	msg := f.path`, []int{5, 6, 7, 8}},
		{"not past an object, whose keys can collide", `
	some f in input.files
	o := {f.path: 1, f.owner: 2}
	f.mode == "0777"
	msg := f.path`, []int{5, 6, 7, 8}},
		{"not past with", `
	some f in input.files
	startswith(f.path, "/srv/") with input.x as 1
	f.mode == "0777"
	msg := f.path`, []int{5, 6, 7, 8}},
		{"not past every", `
	some f in input.files
	every g in input.groups { g != f.owner }
	f.mode == "0777"
	msg := f.path`, []int{5, 6, 7, 8}},
		{"a negated expression is crossed, not moved", `
	some f in input.files
	not startswith(f.path, "/srv/")
	not f.mode == "0777"
	f.owner == "root"
	msg := f.path`, []int{5, 8, 6, 7, 9}},
		{"inside a comprehension", `
	n := count([f |
		some f in input.files
		startswith(f.path, "/srv/")
		f.mode == "0777"
	])
	n > 0
	msg := "x"`, []int{5, 6, 8, 7, 5, 10, 11}},
	}
	const head = "package p\nallowed contains \"/a\"\nsrv(p) if startswith(p, \"/srv/\")\ndeny contains msg if {"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := head + tt.body + "\n}\n"
			if got := compiledRows(t, src, true); !slices.Equal(got, tt.want) {
				t.Errorf("rows %v, want %v (as written: %v)", got, tt.want, compiledRows(t, src, false))
			}
		})
	}
}

// TestCheapTestsFirstSameResults evaluates random policies over random
// documents with the bodies reordered and their loops selecting in Go
// (select.go), and as written: the results, evaluation errors included,
// must be the same.
func TestCheapTestsFirstSameResults(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 4))
	var pols []pol
	for i := range 120 {
		pols = append(pols, pol{id: fmt.Sprintf("r%03d", i), rego: randomPolicy(rng, fmt.Sprintf("reorder.r%03d", i))})
	}
	b := newBundle(t, "reorder", nil, pols...)
	var docs []document.Entry
	for i := range 80 {
		docs = append(docs, document.Entry{File: fmt.Sprintf("d%02d.json", i), Document: randomDocument(rng)})
	}
	in := Input{Documents: docs}
	for _, fusion := range []bool{true, false} {
		t.Run(fmt.Sprintf("fusion=%v", fusion), func(t *testing.T) {
			var opts []Option
			if !fusion {
				opts = append(opts, withoutFusion())
			}
			reordered := mustNew(t, []*bundle.Bundle{b}, opts...)
			written := mustNew(t, []*bundle.Bundle{b}, append(opts, withSourceOrder())...)
			moved, selected := 0, 0
			for key, m := range reordered.compiler.Modules {
				for i, r := range m.Rules {
					if !r.Body.Equal(written.compiler.Modules[key].Rules[i].Body) {
						moved++
					}
					ast.WalkExprs(r, func(e *ast.Expr) bool {
						if e.IsCall() && e.Operator().Equal(selectRef) {
							selected++
						}
						return false
					})
				}
			}
			if moved < 40 || selected < 25 {
				t.Fatalf("%d bodies reordered, %d selections: the comparison proves little", moved, selected)
			}
			got, want := mustEval(t, reordered, in), mustEval(t, written, in)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("results differ:\n got %+v\nwant %+v", got, want)
			}
			errs := 0
			for _, p := range got.Policies {
				if p.Error != "" {
					errs++
				}
			}
			if len(got.Findings) < 100 || errs == 0 {
				t.Errorf("%d findings, %d policies in error: the documents exercise too little", len(got.Findings), errs)
			}
		})
	}
}

// randomPolicy writes a deny rule over input.items from random parts:
// builtin filters, tests, bindings, a rule and a function that conflict
// on some documents, a helper function.
func randomPolicy(rng *rand.Rand, pkg string) string {
	filters := []string{
		`startswith(x.path, "/a")`, `endswith(x.path, ".conf")`, `contains(x.path, "b")`,
		`count(x.path) > 3`, `x.size + 1 > 5`, `regex.match("^/a", x.path)`,
		`lower(x.owner) == "root"`, `not startswith(x.path, "/b")`, `"g1" in x.groups`,
		`sprintf("%v", [x.size]) != "7"`, `data.` + pkg + `.conflict`, `srv(x.path)`, `cf(x)`,
		`input.tags[_] == x.owner`,
	}
	tests := []string{
		`x.mode == "0777"`, `x.owner != "root"`, `x.size > 100`, `input.flag == true`,
		`x.kind == input.want`, `m == "0644"`, `input.a < 2`, `x.size == x.limit`,
		`x.meta.kind == "a"`, `x.size == 150`, `"/a/plain" == x`, `x.mode == "0777"`,
		`150 <= x.size`, `x.mode < "0700"`, `x != "/a/plain"`, `x.meta.kind >= "b"`,
	}
	// The loops: over an array (or whatever input.items is), a local
	// value, a set, with an index the author names, over input itself.
	loops := [][]string{
		{"some x in input.items"}, {"some x in input.items"},
		{"xs := input.items", "some x in xs"},
		{"s := {y | some y in input.items}", "some x in s"},
		{"some k, x in input.items"},
		{"some x in input"},
	}
	loop := loops[rng.IntN(len(loops))]
	var body []string
	body = append(append(body, loop...), "m := x.mode")
	for range 2 + rng.IntN(4) {
		if rng.IntN(2) == 0 {
			body = append(body, filters[rng.IntN(len(filters))])
		} else {
			body = append(body, tests[rng.IntN(len(tests))])
		}
	}
	if strings.HasPrefix(loop[0], "some k,") {
		// The index, after the tests that select: it numbers the
		// elements of input.items, not those selected.
		body = append(body, "k != 1")
	}
	body = append(body, `msg := sprintf("%v %v", [x.path, m])`)
	return fmt.Sprintf(`package %s
conflict := input.a
conflict := 1
srv(p) if startswith(p, "/a")
cf(x) := true if x.size == 150
cf(x) := false if x.owner == "root"
deny contains msg if {
	%s
}`, pkg, strings.Join(body, "\n\t"))
}

// randomDocument has items of varied shapes: wrong types, missing fields,
// strings instead of objects, so that builtins fail on some of them.
func randomDocument(rng *rand.Rand) document.Document {
	pick := func(xs ...any) any { return xs[rng.IntN(len(xs))] }
	var items []any
	for range rng.IntN(7) {
		if rng.IntN(8) == 0 {
			items = append(items, "/a/plain")
			continue
		}
		it := map[string]any{
			"path":   pick("/a/b.conf", "/a/x", "/b/c.conf", "/srv/b", 7),
			"mode":   pick("0777", "0644", "0600"),
			"owner":  pick("root", "app", "ROOT", 1),
			"size":   pick(0, 7, 150, 150.0, "150"),
			"meta":   pick(map[string]any{"kind": "a"}, map[string]any{"kind": "b"}, "a", nil),
			"limit":  pick(7, 150),
			"kind":   pick("host", "image"),
			"groups": pick([]any{"g1"}, []any{"g2", "g1"}, "g1"),
		}
		if rng.IntN(6) == 0 {
			delete(it, pick("path", "mode", "size").(string))
		}
		items = append(items, it)
	}
	var coll any = items
	switch rng.IntN(6) {
	case 0: // an object of items, enumerated by key
		byKey := map[string]any{}
		for i, it := range items {
			byKey[fmt.Sprintf("k%d", (i*7)%10)] = it
		}
		coll = byKey
	case 1:
		coll = "/a/plain"
	}
	return document.Document{
		"items": coll,
		"flag":  rng.IntN(2) == 0,
		"want":  pick("host", "image"),
		"a":     pick(0, 1, 1, 2),
		"tags":  pick([]any{"root"}, []any{"app", "x"}, []any{}),
	}
}
