package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/assay-dev/assay/engine/bundle"
)

// BenchmarkEval is 50 policies (one package each, as assay bundles are
// laid out) over N documents: one Eval per iteration, documents converted
// and judged on GOMAXPROCS workers.
func BenchmarkEval(b *testing.B) {
	bnd := benchPolicies(b, 50)
	e := mustNew(b, []*bundle.Bundle{bnd})
	for _, n := range []int{100, 1000} {
		docs := manyDocs(n)
		b.Run(fmt.Sprintf("policies=50/docs=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Eval(context.Background(), Input{Documents: docs}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/doc")
		})
	}
}
