package html

import (
	"bytes"
	"strings"
	"testing"

	"github.com/assay-dev/assay/exporters/exportertest"
)

// TestTailoring: a tailored report shows its overlays (SHA-256) and the
// policies they disabled with their reasons.
func TestTailoring(t *testing.T) {
	var b bytes.Buffer
	if err := execute(&b, buildPage("", "", []Input{{Report: exportertest.Tailored()}})); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Overlays applied", "3f2a9c0d1e4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeef",
		"Policies disabled by an overlay", "debug images ship a shell; ticket SEC-12 &amp; &lt;co&gt;"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
