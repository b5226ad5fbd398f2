package pipeline

import (
	"context"
	"testing"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/engine"
)

// The two halves of a scan's start-up with the built-in bundles (issue 17):
// loading them (HCL and Rego parsing, without their tests) and compiling
// them (engine.New): as a scan does, from the form compiled at build time
// (not started ahead: each engine after the first rebuilds its own), from
// the sources with fusion deferred, and fused at once, as assay eval and
// multi-target scans do. bench/startup.sh times the whole
// command.
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
	bs, diags, err := env.builtinBundles(context.Background(), true)
	if err != nil || diags.HasErrors() {
		b.Fatal(err, diags)
	}
	for _, bc := range []struct {
		name string
		opts []engine.Option
	}{
		{"precompiled", []engine.Option{engine.WithFusionFrom(fuseFromDocuments), engine.WithPrecompiled(precompiledBuiltin())}},
		{"sources", []engine.Option{engine.WithFusionFrom(fuseFromDocuments)}},
		{"fused", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := env.Compile(context.Background(), bs, bc.opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
