package pipeline_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/exporters/jsonout"
	"github.com/assay-dev/assay/internal/safefile"
	"github.com/assay-dev/assay/pipeline"
)

// TestReadReportRoundTrip: a JSON report read back is the report that was
// written — everything the JSON holds — and its summary is the gate's.
func TestReadReportRoundTrip(t *testing.T) {
	gate := report.Gate{FailOn: report.SeverityMedium}
	for _, c := range exportertest.Cases() {
		if c.Report.Tool.Name != "assay" {
			continue // the zero report: no schema_version, rightly refused
		}
		t.Run(c.Name, func(t *testing.T) {
			path := writeJSONReport(t, c.Report, gate)
			got, err := pipeline.ReadReport(path, pipeline.DefaultMaxReportSize)
			if err != nil {
				t.Fatal(err)
			}
			// Duration and Net are not part of the JSON report; empty lists
			// come back as [] rather than nil.
			opts := cmp.Options{cmpopts.IgnoreFields(report.Report{}, "Duration", "Net"), cmpopts.EquateEmpty()}
			if d := cmp.Diff(c.Report, got.Report, opts); d != "" {
				t.Errorf("read back differs (-written +read):\n%s", d)
			}
			documents := 0
			for _, s := range c.Report.Sections() {
				documents += s.Documents
			}
			if got.Summary.ExitCode != gate.ExitCode(c.Report) || got.Summary.Failing != gate.FailingCount(c.Report) || got.Summary.Documents != documents {
				t.Errorf("summary %+v, want the gate's", got.Summary)
			}
			for i := range c.Report.Targets {
				if s := got.Sections[i]; s.ExitCode != gate.TargetExitCode(&c.Report.Targets[i]) || s.Documents != c.Report.Targets[i].Report.Documents {
					t.Errorf("section %d: summary %+v, want the gate's", i, s)
				}
			}
		})
	}
}

// TestReadReportWithoutSummary: a report without the summary (hand-made,
// or trimmed) is judged with the default gate.
func TestReadReportWithoutSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	doc := `{"schema_version": "1", "tool": {"name": "assay", "version": "1"},
	  "findings": [{"bundle": "b", "policy_id": "p", "kind": "deny", "severity": "low", "enforcement": "mandatory", "message": "m"}]}`
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := pipeline.ReadReport(path, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary.ExitCode != 1 || got.Summary.Failing != 1 || got.Summary.Findings != 1 {
		t.Errorf("summary %+v, want exit code 1 with the one failing finding", got.Summary)
	}
}

// writeJSONReport writes r as `assay … -f json` does, to a file of its own.
func writeJSONReport(t *testing.T, r *report.Report, gate report.Gate) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.json")
	err := safefile.Write(path, 0o644, func(w io.Writer) error {
		return jsonout.New(w, exporters.Options{Gate: gate}).Export(context.Background(), r)
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}
