package engine

import (
	"reflect"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
)

func withoutFusion() Option { return func(c *config) { c.noFusion = true } }

// TestFusionSameResults evaluates the same policies with and without the
// generated fused package: everything but speed must be the same.
func TestFusionSameResults(t *testing.T) {
	mixed := newBundle(t, "mixed", map[string]any{"limits": map[string]any{"max": 3}},
		pol{id: "helpers", inputs: []string{"file.a"}, rego: `package mixed.helpers
import data.limits
too_many(n) if n > limits.max
deny contains sprintf("n=%d over %d", [input.n, limits.max]) if too_many(input.n)
deny contains {"msg": "object", "path": "/x", "line": 2, "k": input.n} if input.n == 5
warn_low contains "low" if input.n < 2`},
		pol{id: "complete", rego: `package mixed.complete
deny := ["complete"] if input.n == 4
warn if input.n == 1`},
		pol{id: "printing", inputs: []string{"file.a", "file.b"}, rego: `package mixed.printing
violation contains m if {
	print("n is", input.n)
	some i in numbers.range(1, input.n)
	i == 3
	m := sprintf("reached %d", [i])
}`},
		pol{id: "badmsg", rego: `package mixed.badmsg
deny contains {"msg": input.n} if input.n == 2`},
		pol{id: "conflict", rego: `package mixed.conflict
v := input.n
v := 6
deny contains "conflict" if v`})
	var docs []document.Entry
	for n := range 7 {
		for _, c := range []string{"file.a", "file.b", ""} {
			docs = append(docs, document.Entry{CollectorID: c, File: c + ".json", Document: document.Document{"n": n}})
		}
	}
	for _, b := range []*bundle.Bundle{mixed, benchPolicies(t, 20)} {
		t.Run(b.Name, func(t *testing.T) {
			fused := mustNew(t, []*bundle.Bundle{b})
			if len(fused.fused) == 0 {
				t.Fatal("no policy set was fused")
			}
			plain := mustNew(t, []*bundle.Bundle{b}, withoutFusion())
			if plain.fused != nil {
				t.Fatal("withoutFusion fused")
			}
			in := Input{Documents: docs}
			if b.Name == "bench" {
				in.Documents = manyDocs(200)
			}
			got, want := mustEval(t, fused, in), mustEval(t, plain, in)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("fused result differs:\n got %+v\nwant %+v", got, want)
			}
			if len(got.Findings) == 0 {
				t.Error("no findings: the comparison proves nothing")
			}
		})
	}
}

func TestFusionSkipsUnfusableRules(t *testing.T) {
	b := newBundle(t, "b", nil,
		pol{id: "a", rego: "package a\ndeny contains \"a\" if true\nwarn := \"complete\""},
		pol{id: "c", rego: "package c\ndeny contains \"c\" if true"})
	e := mustNew(t, []*bundle.Bundle{b})
	var fs *fusedSet
	for _, f := range e.fused {
		fs = f
	}
	if fs == nil {
		t.Fatal("not fused")
	}
	var fusedRules, rest []string
	for _, s := range fs.slots {
		fusedRules = append(fusedRules, s.pkg.String()+"."+s.rule)
	}
	for _, s := range fs.rest {
		rest = append(rest, s.pkg.String()+"."+s.rule)
	}
	if strings.Join(fusedRules, " ") != "data.a.deny data.c.deny" || strings.Join(rest, " ") != "data.a.warn" {
		t.Errorf("fused %v, rest %v", fusedRules, rest)
	}
}

// TestFusionFrom: with WithFusionFrom the engine evaluates without fusion
// until its evaluations have judged that many documents, then compiles the
// fused packages and evaluates with them, the results the same throughout.
func TestFusionFrom(t *testing.T) {
	b := benchPolicies(t, 20)
	want := mustNew(t, []*bundle.Bundle{b}, withoutFusion())
	e := mustNew(t, []*bundle.Bundle{b}, WithFusionFrom(250))
	if len(e.fused) != 0 || !e.fusePending || e.deferred == nil {
		t.Fatalf("fused when built: %d sets, pending %v, prepared %v", len(e.fused), e.fusePending, e.deferred != nil)
	}
	for i, step := range []struct {
		docs  int
		fused bool
	}{
		{100, false}, // 100 judged
		{100, false}, // 200
		{100, true},  // 300: fused before judging these
		{10, true},
	} {
		in := Input{Documents: manyDocs(step.docs)}
		got := mustEval(t, e, in)
		if fused := len(e.fused) > 0; fused != step.fused {
			t.Errorf("evaluation %d: fused %v, want %v", i, fused, step.fused)
		}
		// The evaluation ran the fused queries, not ones cached before.
		ranFused := false
		for key, q := range e.queries {
			ranFused = ranFused || q.fused != nil && e.fused[key] == q.fused
		}
		if ranFused != step.fused {
			t.Errorf("evaluation %d: ran fused queries %v, want %v", i, ranFused, step.fused)
		}
		if w := mustEval(t, want, in); !reflect.DeepEqual(got, w) {
			t.Errorf("evaluation %d differs from one without fusion:\n got %+v\nwant %+v", i, got, w)
		}
		if len(got.Findings) == 0 {
			t.Fatal("no findings: the comparison proves nothing")
		}
	}
	if e.fusePending || e.deferred != nil {
		t.Error("the deferred state outlived fusion")
	}
}
