package jsonout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/exportertest"
)

// TestFindingsWrittenOneByOne: the report written a finding at a time is
// the text encoding/json makes of the whole report, byte for byte: one
// target or many, lists empty or long, strings it escapes, a message that
// looks like a marker's.
func TestFindingsWrittenOneByOne(t *testing.T) {
	many := exportertest.Sample()
	base := many.Findings[0]
	for i := range 500 {
		f := base
		f.Message = fmt.Sprintf("finding %d: <script>&\u2028 \"quoted\"\n\t%s", i, []string{"", "assay-json-findings-x-0", "é✓"}[i%3])
		f.Line = i
		f.Details = map[string]any{"n": i, "nested": map[string]any{"list": []any{"a", i, nil, true}}}
		many.Findings = append(many.Findings, f)
	}
	multi := exportertest.MultiTarget()
	multi.Targets = append(multi.Targets, report.TargetResult{Status: report.TargetOK, Report: many})

	for _, tc := range []struct {
		name string
		r    *report.Report
	}{
		{"sample", exportertest.Sample()},
		{"empty", exportertest.SampleEmpty()},
		{"many findings", many},
		{"multi-target", exportertest.MultiTarget()},
		{"multi-target with many findings", multi},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := New(nil, exporters.Options{})
			var v any = j.single(tc.r, nil)
			if tc.r.Multi() {
				v = j.multi(tc.r, nil)
			}
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := New(&got, exporters.Options{}).Export(context.Background(), tc.r); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("written a finding at a time, the report differs from encoding/json's:\n%s", firstDifference(got.Bytes(), want.Bytes()))
			}
		})
	}
}

func firstDifference(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("at byte %d\ngot:  %q\nwant: %q", i, got[from:min(len(got), i+80)], want[from:min(len(want), i+80)])
}

// BenchmarkManyTargets writes a report of 1,000 targets: each target's
// marker is found where it stands, so writing stays linear in the report
// (searching it at every depth first made 3,000 targets take 7 s, against
// encoding/json's 0.2 s). A benchmark, not a test: timings are no test's
// business.
func BenchmarkManyTargets(b *testing.B) {
	r := manyTargets(1000, 20)
	for b.Loop() {
		if err := New(io.Discard, exporters.Options{}).Export(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
}

// manyTargets is a multi-target report of n targets, each with the
// sample's findings and policies passing policies.
func manyTargets(n, policies int) *report.Report {
	r := exportertest.MultiTarget()
	r.Targets = nil
	for range n {
		rep := *exportertest.Sample()
		rep.Policies = nil
		for k := range policies {
			rep.Policies = append(rep.Policies, report.PolicyResult{Bundle: "b", ID: fmt.Sprintf("p%d", k), Status: report.StatusPass})
		}
		r.Targets = append(r.Targets, report.TargetResult{Status: report.TargetOK, Report: &rep})
	}
	return r
}

// TestWriteErrorStops: once the writer fails, the findings left are not
// encoded: the error is returned after a buffer's worth of them.
func TestWriteErrorStops(t *testing.T) {
	r := exportertest.Sample()
	var encoded counter
	for range 10_000 {
		f := r.Findings[0]
		f.Details = map[string]any{"n": &encoded}
		r.Findings = append(r.Findings, f)
	}
	if err := New(failing{}, exporters.Options{}).Export(context.Background(), r); err == nil {
		t.Fatal("the write error was swallowed")
	}
	if encoded > 1000 {
		t.Errorf("%d of %d findings encoded after the writer failed", encoded, len(r.Findings))
	}
}

// counter counts how often it is encoded.
type counter int

func (c *counter) MarshalJSON() ([]byte, error) {
	*c++
	return []byte("0"), nil
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }
