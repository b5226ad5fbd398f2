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
	bundles, diags, err := env.builtinBundles(context.Background())
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
