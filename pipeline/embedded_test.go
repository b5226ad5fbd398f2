package pipeline

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/engine"
)

// TestEmbeddedBundlesTypeCheck is the type check a run of the built-in
// bundles skips at start-up (bundle.Bundle.Embedded): here, when the
// binary is built and tested, they are compiled with it, fused packages
// included, and must pass.
func TestEmbeddedBundlesTypeCheck(t *testing.T) {
	env := Builtin(report.Tool{Name: "assay"})
	bundles, diags, err := env.builtinBundles(context.Background(), true)
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	checked := make([]*bundle.Bundle, len(bundles))
	for i, b := range bundles {
		if !b.Embedded {
			t.Errorf("built-in bundle %s is not marked embedded", b.Name)
		}
		c := *b
		c.Embedded = false // so that the type checker runs
		checked[i] = &c
	}
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := engine.New(context.Background(), checked, engine.WithLogger(logger)); err != nil {
		t.Fatalf("the built-in bundles fail the type check: %v", err)
	}
	if strings.Contains(log.String(), "fusion skipped") {
		t.Errorf("the fused packages of the built-in bundles fail to compile:\n%s", log.String())
	}
}

// TestBuiltinTestsSkippedWhenJudging: every command but assay test (which
// uses LoadBundlesToTest) loads the built-in bundles without their test modules,
// which make test runs; the rest of each bundle is what a full load gives.
func TestBuiltinTestsSkippedWhenJudging(t *testing.T) {
	env := Builtin(report.Tool{Name: "assay"})
	full, _, err := env.builtinBundles(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	judging, _, err := env.builtinBundles(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != len(judging) || len(full) == 0 {
		t.Fatalf("%d bundles, %d when judging", len(full), len(judging))
	}
	tests := 0
	for i, b := range full {
		j := judging[i]
		tests += len(b.Tests)
		if len(j.Tests) != 0 {
			t.Errorf("%s: %d test modules loaded when judging", j.Name, len(j.Tests))
		}
		if b.Name != j.Name || len(b.Modules) != len(j.Modules) || len(b.Policies) != len(j.Policies) || len(b.Collects) != len(j.Collects) {
			t.Errorf("%s: %d modules, %d policies, %d collects; when judging %d, %d, %d", b.Name,
				len(b.Modules), len(b.Policies), len(b.Collects), len(j.Modules), len(j.Policies), len(j.Collects))
		}
		for k := range min(len(b.Modules), len(j.Modules)) {
			if !b.Modules[k].Parsed.Equal(j.Modules[k].Parsed) {
				t.Errorf("%s: module %s differs when judging", b.Name, b.Modules[k].Filename)
			}
		}
	}
	if tests == 0 {
		t.Error("the built-in bundles have no test modules: nothing was checked")
	}
}
