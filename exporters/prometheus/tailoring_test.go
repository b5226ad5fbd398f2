package prometheus_test

import (
	"strings"
	"testing"

	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/internal/golden"
)

// TestTailoring: one info series per overlay (name, SHA-256) and one per
// disabled policy; reasons stay out of the labels.
func TestTailoring(t *testing.T) {
	out := export(t, exportertest.Tailored())
	promtool(t, out)
	parse(t, out)
	for _, want := range []string{
		`assay_overlay_info{overlay="acme-cis-l1",sha256="3f2a9c0d1e4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeef"} 1`,
		`assay_overlay_info{overlay="lab",sha256="00aa11bb22cc33dd44ee55ff66778899aabbccddeeff00112233445566778899"} 1`,
		`assay_policy_disabled{bundle="image-baseline",overlay="acme-cis-l1",policy="no-shell"} 1`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "SEC-12") {
		t.Error("a reason is in a label")
	}
	golden.Check(t, "tailored.prom", out)
}
