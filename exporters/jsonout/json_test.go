package jsonout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/exporters/jsonout"
	"github.com/assay-dev/assay/internal/golden"
)

func TestJSON(t *testing.T) {
	for _, tc := range []struct {
		name     string
		r        *report.Report
		exitCode float64
	}{
		{"sample.json", exportertest.Sample(), 1},
		{"empty.json", exportertest.SampleEmpty(), 0},
		{"image-skips.json", exportertest.ImageSkips(), 0},
		// a waived finding and one in the baseline do not fail; the new
		// one does.
		{"compliance.json", exportertest.Compliance(), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := jsonout.New(&buf, exporters.Options{}).Export(context.Background(), tc.r); err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			for _, k := range []string{"findings", "policies", "collectors", "bundles"} {
				if _, ok := doc[k].([]any); !ok {
					t.Errorf("%q is %T, want a list (never null)", k, doc[k])
				}
			}
			if got := doc["summary"].(map[string]any)["exit_code"]; got != tc.exitCode {
				t.Errorf("summary.exit_code = %v, want %v", got, tc.exitCode)
			}
			golden.Check(t, tc.name, buf.Bytes())
		})
	}
}
