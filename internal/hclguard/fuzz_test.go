package hclguard

import (
	"runtime/debug"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// fuzzDepth is a small limit, so that a way of nesting the scan misses
// shows within the few hundred bytes a fuzzer tries.
const fuzzDepth = 12

var limitStack sync.Once

// FuzzScan checks the scan against hclsyntax: whatever it admits parses
// into a tree no deeper than a few levels per level it counted (a block is
// a Block and a Body, a %{ if } a conditional and two templates), and
// within a small stack: a way of nesting the scan does not count would
// crash the fuzz worker with "stack exceeds limit", which the fuzzer
// reports.
func FuzzScan(f *testing.F) {
	for _, tt := range nesters {
		f.Add(tt.gen(3))
	}
	for _, s := range []string{
		"a = \"${x}\" + <<EOT\n${[1]}\nEOT\n",
		"a { b = [for x in y : x if x] }\n",
		"a = \"%{ if x }${y}%{ else }z%{ endif }\"\n",
		"a = x.*.y[*][0](1)\n",
		"a = -!-!x ? y : z\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		limitStack.Do(func() { debug.SetMaxStack(64 << 20) })
		lim := Limits{MaxDepth: fuzzDepth}
		if Scan([]byte(src), "f.hcl", lim).HasErrors() {
			return
		}
		file, _ := hclsyntax.ParseConfig([]byte(src), "f.hcl", hcl.InitialPos)
		if file == nil {
			return
		}
		body, ok := file.Body.(*hclsyntax.Body)
		if !ok {
			return
		}
		w := &depthWalker{}
		hclsyntax.Walk(body, w)
		if w.max > 3*fuzzDepth+8 {
			t.Fatalf("the scan admits a tree %d deep with a limit of %d", w.max, fuzzDepth)
		}
		_ = Check(body)
		_, _ = Format([]byte(src), "f.hcl", lim)
	})
}

type depthWalker struct{ depth, max int }

func (w *depthWalker) Enter(hclsyntax.Node) hcl.Diagnostics {
	w.depth++
	w.max = max(w.max, w.depth)
	return nil
}

func (w *depthWalker) Exit(hclsyntax.Node) hcl.Diagnostics {
	w.depth--
	return nil
}
