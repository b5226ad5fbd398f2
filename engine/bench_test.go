package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
)

// BenchmarkEval is 50 policies (one package each, as assay bundles are
// laid out) over N documents: one Eval per iteration, documents converted
// and judged on GOMAXPROCS workers. The json sub-benchmark gives the
// documents as JSON text (engine.Doc.JSON), as `assay eval` reads files.
func BenchmarkEval(b *testing.B) {
	bnd := benchPolicies(b, 50)
	e := mustNew(b, []*bundle.Bundle{bnd})
	for _, n := range []int{100, 1000} {
		docs := manyDocs(n)
		b.Run(fmt.Sprintf("policies=50/docs=%d", n), func(b *testing.B) {
			benchEval(b, e, docs)
		})
	}
	docs := manyDocs(1000)
	for i := range docs {
		text, err := json.Marshal(docs[i].Document)
		if err != nil {
			b.Fatal(err)
		}
		docs[i].Document, docs[i].JSON = nil, text
	}
	b.Run("policies=50/docs=1000/json", func(b *testing.B) { benchEval(b, e, docs) })
}

func benchEval(b *testing.B, e *Engine, docs []document.Entry) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Eval(context.Background(), Input{Documents: docs}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(docs)), "ns/doc")
}
