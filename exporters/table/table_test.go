package table_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

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

// TestInert: text from the target (a file name, a message, a skipped
// entry, a target's error) cannot drive the terminal: no escape sequence,
// control character or stray byte of it reaches the output, coloured or
// not; the table's own colour codes still do.
func TestInert(t *testing.T) {
	hostile := "a\x1b]0;owned\x07b\x1b[2J\rc\u009b6n\xffd"
	r := exportertest.Violations()
	r.Findings[0].Message = hostile
	r.Findings[0].Path = "/home/" + hostile
	r.Collectors[1].Skipped[0].Path = hostile
	r.Collectors[2].Error = hostile
	m := exportertest.MultiTarget()
	m.Targets[2].Error = hostile
	for _, color := range []bool{false, true} {
		for _, rep := range []*report.Report{r, m} {
			var buf bytes.Buffer
			if err := table.New(&buf, exporters.Options{Terminal: color}).Export(context.Background(), rep); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !strings.Contains(out, "a\uFFFD]0;owned\uFFFDb\uFFFD[2J") || !strings.Contains(out, "c\uFFFD6n\uFFFDd") {
				t.Errorf("colour %v: the hostile text is not shown neutralised:\n%q", color, out)
			}
			if color != strings.Contains(out, "\x1b[1m") {
				t.Errorf("colour %v: the table's own colour codes are there: %v", color, !color)
			}
			for _, code := range []string{"\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[35m", "\x1b[36m"} {
				out = strings.ReplaceAll(out, code, "")
			}
			if i := strings.IndexFunc(out, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }); i >= 0 || !utf8.ValidString(out) {
				t.Errorf("colour %v: a control character or invalid UTF-8 at %d:\n%q", color, i, out)
			}
		}
	}
}
