package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/internal/regocodec"
)

// richPolicy uses the constructs the compiler rewrites most: some and
// every, comprehensions, else chains, functions, template strings, print
// and a METADATA block.
var richPolicy = pol{id: "rich", rego: `# METADATA
# title: Rich
package rich

import rego.v1

limit(x) := 3 if x == "a"
else := 5 if x == "b"
else := 7

teams := {t | some d in data.teams; t := d.name}

deny contains msg if {
	input.replicas > limit(input.labels.team)
	msg := $"replicas {input.replicas} over {limit(input.labels.team)} for {input.labels.team}"
}

warn contains msg if {
	parts := [p | some p in split(input.image, ":")]
	every p in parts { count(p) > 0 }
	not input.labels.team in teams
	print("unknown team", input.labels.team)
	msg := sprintf("team %s unknown (%d parts)", [input.labels.team, count(parts)])
}
`}

func precompiledBundles(t *testing.T) []*bundle.Bundle {
	t.Helper()
	bs := []*bundle.Bundle{
		benchPolicies(t, 20),
		newBundle(t, "rich", map[string]any{"teams": []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}}, richPolicy),
	}
	for _, b := range bs {
		b.Embedded = true
	}
	return bs
}

// TestPrecompiled: an engine rebuilt from the precompiled form judges as
// one compiled from the sources, before and after deferred fusion; it is
// used only where WithPrecompiled says, and otherwise the bundles are
// compiled as usual, with the same results.
func TestPrecompiled(t *testing.T) {
	bundles := precompiledBundles(t)
	p, err := Precompile(bundles)
	if err != nil {
		t.Fatal(err)
	}
	want := mustNew(t, bundles, withoutFusion())
	damaged := &Precompiled{Digest: p.Digest, Data: p.Data[:len(p.Data)/2], Sum: p.Sum}
	flipped := []byte(p.Data)
	flipped[len(flipped)/2] ^= 1
	altered := &Precompiled{Digest: p.Digest, Data: string(flipped), Sum: p.Sum}
	others := precompiledBundles(t)[:1] // a digest of other bundles
	foreign := precompiledBundles(t)
	foreign[1].Embedded = false
	for _, tc := range []struct {
		name    string
		bundles []*bundle.Bundle
		opts    []Option
		used    bool
		// fusedFrom is the first evaluation that runs fused; -1: none.
		fusedFrom int
	}{
		// 300 documents judged by the third evaluation: fused from then.
		{"fusion deferred", bundles, []Option{WithFusionFrom(250), WithPrecompiled(p)}, true, 2},
		{"fusion off", bundles, []Option{withoutFusion(), WithPrecompiled(p)}, true, -1},
		{"fused when built", bundles, []Option{WithPrecompiled(p)}, false, 0},
		{"other bundles", others, []Option{WithFusionFrom(250), WithPrecompiled(p)}, false, 2},
		{"a bundle not built in", foreign, []Option{WithFusionFrom(250), WithPrecompiled(p)}, false, 2},
		{"damaged data", bundles, []Option{WithFusionFrom(250), WithPrecompiled(damaged)}, false, 2},
		{"one bit of the data changed", bundles, []Option{WithFusionFrom(250), WithPrecompiled(altered)}, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustNew(t, tc.bundles, tc.opts...)
			if e.precompiled != tc.used {
				t.Fatalf("precompiled form used %v, want %v", e.precompiled, tc.used)
			}
			w := want
			if len(tc.bundles) != len(bundles) {
				w = mustNew(t, tc.bundles, withoutFusion())
			}
			for i, n := range []int{100, 100, 100, 10} {
				in := Input{Documents: manyDocs(n)}
				got := mustEval(t, e, in)
				if fused, wantFused := len(e.fused) > 0, tc.fusedFrom >= 0 && i >= tc.fusedFrom; fused != wantFused {
					t.Errorf("evaluation %d: fused %v, want %v", i, fused, wantFused)
				}
				if wr := mustEval(t, w, in); !reflect.DeepEqual(got, wr) {
					t.Fatalf("evaluation %d differs from the compiled sources':\n got %+v\nwant %+v", i, got, wr)
				}
				if len(got.Findings) == 0 {
					t.Fatal("no findings: the comparison proves nothing")
				}
			}
		})
	}
}

// TestPrecompiledFindsEveryRuleKind: the rich policy's deny and warn both
// fire on manyDocs, so TestPrecompiled compares them.
func TestPrecompiledFindsEveryRuleKind(t *testing.T) {
	bundles := precompiledBundles(t)
	p, err := Precompile(bundles)
	if err != nil {
		t.Fatal(err)
	}
	res := mustEval(t, mustNew(t, bundles, WithFusionFrom(1000), WithPrecompiled(p)), Input{Documents: manyDocs(30)})
	kinds := map[string]bool{}
	for _, f := range res.Findings {
		if f.Bundle == "rich" {
			kinds[string(f.Kind)] = true
		}
	}
	if len(kinds) != 2 {
		t.Errorf("rich policy found kinds %v, want deny and warn", kinds)
	}
}

// TestPrecompileRefuses: only bundles New trusts without the type checker
// can be precompiled: built in, and without "with".
func TestPrecompileRefuses(t *testing.T) {
	notEmbedded := precompiledBundles(t)
	notEmbedded[0].Embedded = false
	mock := newBundle(t, "mock", nil, pol{id: "mock", rego: `package mock

f(x) := "real" if x

deny contains msg if {
	msg := f(true) with f as "mocked"
}`})
	mock.Embedded = true
	for name, bs := range map[string][]*bundle.Bundle{"not built in": notEmbedded, "with": {mock}} {
		if _, err := Precompile(bs); err == nil || !strings.Contains(err.Error(), "only built-in bundles") {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
}

// TestPrecompiledDamagedTree: a form that decodes into a tree OPA's
// compiler panics on (here a rule head of no reference) is not used, and
// the bundles are compiled from their sources: whether New rebuilds it or
// Start does, in a goroutine where a panic would end the program.
func TestPrecompiledDamagedTree(t *testing.T) {
	bundles := precompiledBundles(t)
	p, err := Precompile(bundles)
	if err != nil {
		t.Fatal(err)
	}
	set, err := regocodec.Decode(p.Data)
	if err != nil {
		t.Fatal(err)
	}
	damaged := 0
	for _, m := range set.Modules {
		if len(m.Rules) > 0 {
			m.Rules[0].Head.Reference = ast.Ref{}
			damaged++
		}
	}
	data, err := regocodec.Encode(set)
	if err != nil || damaged == 0 {
		t.Fatal(err, damaged)
	}
	want := mustNew(t, bundles, withoutFusion())
	in := Input{Documents: manyDocs(20)}
	for _, start := range []bool{false, true} {
		sum := sha256.Sum256(data) // a true sum: the tree is what is damaged
		form := &Precompiled{Digest: p.Digest, Data: string(data), Sum: hex.EncodeToString(sum[:])}
		if start {
			form.Start()
		}
		e := mustNew(t, bundles, WithFusionFrom(1000), WithPrecompiled(form))
		if e.precompiled {
			t.Fatalf("start %v: the damaged form was used", start)
		}
		if got, w := mustEval(t, e, in), mustEval(t, want, in); !reflect.DeepEqual(got, w) || len(got.Findings) == 0 {
			t.Errorf("start %v: evaluation differs from the compiled sources'", start)
		}
	}
}

// TestPrecompiledStart: the compiler Start rebuilds goes to the first New
// that uses the form, and each later engine rebuilds its own (serve's
// reloads): no two engines share a compiler.
func TestPrecompiledStart(t *testing.T) {
	bundles := precompiledBundles(t)
	p, err := Precompile(bundles)
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	p.Start() // once
	first := mustNew(t, bundles, WithFusionFrom(1000), WithPrecompiled(p))
	if !first.precompiled || !p.taken.Load() {
		t.Fatalf("the first engine did not take Start's compiler (used %v, taken %v)", first.precompiled, p.taken.Load())
	}
	second := mustNew(t, bundles, WithFusionFrom(1000), WithPrecompiled(p))
	if !second.precompiled || second.compiler == first.compiler {
		t.Fatalf("the second engine: used %v, shares the first's compiler %v", second.precompiled, second.compiler == first.compiler)
	}
	in := Input{Documents: manyDocs(20)}
	if a, b := mustEval(t, first, in), mustEval(t, second, in); !reflect.DeepEqual(a, b) {
		t.Error("the two engines judge differently")
	}
}
