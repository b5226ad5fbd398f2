package pipeline_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/pipeline"
)

// TestDiffListsAreLists: `assay diff -f json` writes new, unchanged and
// fixed as JSON lists, empty ones included (docs/waivers.md), for
// single-target and multi-target reports alike.
func TestDiffListsAreLists(t *testing.T) {
	for _, c := range exportertest.Cases() {
		if c.Report.Tool.Name != "assay" {
			continue // the zero report: no schema_version, rightly refused
		}
		t.Run(c.Name, func(t *testing.T) {
			path := writeJSONReport(t, c.Report, report.Gate{})
			d, err := pipeline.Diff(path, path)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := pipeline.WriteDiff(d, "json", "", &out); err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"new", "unchanged", "fixed"} {
				if _, ok := got[k].([]any); !ok {
					t.Errorf("%s is %#v, want a list", k, got[k])
				}
			}
		})
	}
}
