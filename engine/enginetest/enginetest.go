// Package enginetest runs a bundle's Rego unit tests from Go tests exactly as
// `assay test` does: loaded by the bundle loader (data files and all), then
// sandboxed by the engine. Bundles that ship with assay use it so their Rego
// tests run in `go test ./...` without a runner of their own.
package enginetest

import (
	"context"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/engine"
)

// RunBundleTests loads the bundle in dir and runs its test_ rules. Every
// failing or erroring test is an error of t, and so is a bundle with fewer
// than min tests (a test file that stopped loading must not pass quietly).
// loader knows the collector types and data kinds the bundle names.
func RunBundleTests(t *testing.T, loader *bundle.Loader, dir string, min int) {
	t.Helper()
	b, diags := loader.Load(context.Background(), dir)
	if diags.HasErrors() {
		t.Fatalf("load %s: %v", dir, diags)
	}
	results, err := engine.Test(context.Background(), []*bundle.Bundle{b}, engine.TestOptions{})
	if err != nil {
		t.Fatalf("test %s: %v", dir, err)
	}
	for _, r := range results {
		if r.Status != engine.TestPass {
			t.Errorf("%s.%s (%s): %s %s\n%s", r.Package, r.Name, r.Location, r.Status, r.Error, r.Output)
		}
	}
	if len(results) < min {
		t.Errorf("%s: %d Rego tests ran, want at least %d", dir, len(results), min)
	}
}
