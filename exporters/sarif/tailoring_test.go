package sarif_test

import (
	"testing"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/internal/golden"
)

// TestTailoring: the run's properties record the overlays and the
// disabled policies with their reasons; the log stays valid.
func TestTailoring(t *testing.T) {
	out := export(t, exportertest.Tailored(), report.Gate{})
	validate(t, out)
	l := decode(t, out)
	checkGitHub(t, l)
	tl, ok := l.Runs[0].Properties["assay/tailoring"].(map[string]any)
	if !ok {
		t.Fatalf("run properties: %v", l.Runs[0].Properties)
	}
	overlays, _ := tl["overlays"].([]any)
	disabled, _ := tl["disabled_policies"].([]any)
	if len(overlays) != 2 || len(disabled) != 1 || disabled[0].(map[string]any)["reason"] == "" {
		t.Errorf("assay/tailoring: %v", tl)
	}
	golden.Check(t, "tailored.sarif.json", out)
}
