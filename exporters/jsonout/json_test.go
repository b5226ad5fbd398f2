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
		{"multi-target.json", exportertest.MultiTarget(), 3},
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
			sections := []map[string]any{doc}
			if tc.r.Multi() {
				sections = nil
				for _, s := range doc["targets"].([]any) {
					sections = append(sections, s.(map[string]any))
				}
				if len(sections) != len(tc.r.Targets) || doc["schema_version"] != report.MultiSchemaVersion {
					t.Errorf("%d sections, schema %v; want %d, %s", len(sections), doc["schema_version"], len(tc.r.Targets), report.MultiSchemaVersion)
				}
			}
			for _, sec := range sections {
				for _, k := range []string{"findings", "policies", "collectors", "bundles"} {
					if _, ok := sec[k].([]any); !ok {
						t.Errorf("%q is %T, want a list (never null)", k, sec[k])
					}
				}
			}
			if got := doc["summary"].(map[string]any)["exit_code"]; got != tc.exitCode {
				t.Errorf("summary.exit_code = %v, want %v", got, tc.exitCode)
			}
			golden.Check(t, tc.name, buf.Bytes())
		})
	}
}
