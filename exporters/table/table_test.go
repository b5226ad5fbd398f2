package table_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/exporters/table"
	"github.com/assay-dev/assay/internal/golden"
)

func TestTable(t *testing.T) {
	for _, tc := range []struct {
		name       string
		r          *report.Report
		color      bool
		gate       report.Gate
		showWaived bool
	}{
		{"sample.txt", exportertest.Sample(), false, report.Gate{}, false},
		{"sample-color.txt", exportertest.Sample(), true, report.Gate{}, false},
		{"sample-fail-on-critical.txt", exportertest.Sample(), false, report.Gate{FailOn: report.SeverityCritical}, false},
		{"empty.txt", exportertest.SampleEmpty(), false, report.Gate{}, false},
		{"image-skips.txt", exportertest.ImageSkips(), false, report.Gate{}, false},
		{"compliance.txt", exportertest.Compliance(), false, report.Gate{}, false},
		{"compliance-show-waived.txt", exportertest.Compliance(), false, report.Gate{}, true},
		{"multi-target.txt", exportertest.MultiTarget(), false, report.Gate{}, false},
		{"multi-target-allow-failed.txt", exportertest.MultiTarget(), false, report.Gate{AllowFailedTargets: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := table.New(&buf, exporters.Options{Terminal: tc.color, Gate: tc.gate, ShowWaived: tc.showWaived}).Export(context.Background(), tc.r); err != nil {
				t.Fatal(err)
			}
			if !tc.color && strings.Contains(buf.String(), "\x1b[") {
				t.Error("colour codes without a terminal")
			}
			golden.Check(t, tc.name, buf.Bytes())
		})
	}
}

// TestStillRunning: a collector not started because its earlier run has not
// returned is listed as an error, as a timeout is.
func TestStillRunning(t *testing.T) {
	r := exportertest.Violations()
	r.Collectors = append(r.Collectors, report.CollectorResult{Bundle: "files", Type: "file", Name: "stuck", Status: report.CollectorStillRunning,
		Error: "not started: its run from an earlier scan has not returned since it was abandoned 3s ago, past its deadline"})
	var buf bytes.Buffer
	if err := table.New(&buf, exporters.Options{}).Export(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	want := "error collector file.stuck (files): not started: its run from an earlier scan has not returned"
	if !strings.Contains(buf.String(), want) {
		t.Errorf("table does not say %q:\n%s", want, buf.String())
	}
}
