package junit_test

import (
	"strings"
	"testing"

	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/internal/golden"
)

// TestTailoring: each suite names the overlays applied, and a policy an
// overlay disabled is a skipped test case with its reason.
func TestTailoring(t *testing.T) {
	out := export(t, exportertest.Tailored())
	root := parse(t, out)
	if errs := checkDoc(root); len(errs) > 0 {
		t.Errorf("not valid against the Jenkins JUnit schema:\n%s", strings.Join(errs, "\n"))
	}
	checkCounts(t, root)
	for _, want := range []string{
		`<property name="assay.overlay" value="acme-cis-l1 sha256:3f2a9c0d1e4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeef">`,
		`<skipped message="disabled by overlay acme-cis-l1: debug images ship a shell; ticket SEC-12 &amp; &lt;co&gt;">`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	golden.Check(t, "tailored.xml", out)
}
