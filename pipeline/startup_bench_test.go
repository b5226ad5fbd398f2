package pipeline

import (
	"context"
	"testing"

	"github.com/assay-dev/assay/core/report"
)

// The two halves of a scan's start-up with the built-in bundles (issue 17):
// loading them (HCL and Rego parsing) and compiling them (engine.New,
// fusion included). bench/startup.sh times the whole command.
//
//	go test -run XXX -bench Startup -benchtime 30x ./pipeline/

func BenchmarkStartupLoad(b *testing.B) {
	env := Builtin(report.Tool{Name: "assay"})
	for b.Loop() {
		if _, _, err := env.builtinBundles(context.Background(), true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStartupCompile(b *testing.B) {
	env := Builtin(report.Tool{Name: "assay"})
	bs, _, _ := env.builtinBundles(context.Background(), true)
	for b.Loop() {
		if _, err := env.Compile(context.Background(), bs); err != nil {
			b.Fatal(err)
		}
	}
}
