package table_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/exporters/table"
	"github.com/assay-dev/assay/internal/golden"
)

// TestTailoring: a tailored run says so above the summary: each overlay
// with its SHA-256, each disabled policy with its reason, each severity
// changed, the params set.
func TestTailoring(t *testing.T) {
	var buf bytes.Buffer
	if err := table.New(&buf, exporters.Options{}).Export(context.Background(), exportertest.Tailored()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"overlay acme-cis-l1 (sha256 3f2a9c0d1e4b, overlays/cis-l1.hcl)",
		"disabled image-baseline/no-shell by acme-cis-l1: debug images ship a shell; ticket SEC-12 & <co>",
		"severity image-baseline/no-root-user high → critical by acme-cis-l1",
		`param image-baseline.max_layers = 40 (default 30) by acme-cis-l1`,
		"param image-baseline.registries = 2 values (default 8: without docker.io, quay.io, ghcr.io, gcr.io, public.ecr.aws, registry.k8s.io, mcr.microsoft.com; adding mirror.example) by acme-cis-l1",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table does not say %q:\n%s", want, buf.String())
		}
	}
	golden.Check(t, "tailored.txt", buf.Bytes())
}
