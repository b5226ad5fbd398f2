// Package jsonout writes a report as JSON (-f json): the stable, documented
// schema of docs/output.md, for scripts and dashboards.
package jsonout

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
)

// Format is the output format -f json.
func Format() exporters.Format {
	return exporters.Format{
		Name: "json",
		Help: "the full report as JSON (findings, policy status, collector errors, timings)",
		New:  func(w io.Writer, o exporters.Options) exporters.Exporter { return New(w, o) },
	}
}

// Exporter writes the report as one indented JSON object.
type Exporter struct {
	w    io.Writer
	gate report.Gate
}

// New returns a JSON exporter writing to w. The gate decides the recorded
// exit code.
func New(w io.Writer, o exporters.Options) *Exporter { return &Exporter{w: w, gate: o.Gate} }

// document is the top-level JSON object: the report plus a summary a script
// can read without counting.
type document struct {
	*report.Report
	Summary summary `json:"summary"`
}

type summary struct {
	ExitCode   int            `json:"exit_code"`
	Documents  int            `json:"documents"`
	Findings   int            `json:"findings"`
	Failing    int            `json:"failing"`
	BySeverity map[string]int `json:"by_severity"`
	ByStatus   map[string]int `json:"policies_by_status"`
	// Waived counts the waived findings (counted in Findings too);
	// Checked the policies that judged something (not skipped).
	Waived  int `json:"waived"`
	Checked int `json:"checked"`
}

// Export implements exporters.Exporter.
func (j *Exporter) Export(_ context.Context, r *report.Report) error {
	s := summary{
		ExitCode:   j.gate.ExitCode(r),
		Documents:  r.Documents,
		Findings:   len(r.Findings),
		Failing:    len(j.gate.Failing(r)),
		BySeverity: map[string]int{},
		ByStatus:   map[string]int{},
		Waived:     r.WaivedCount(),
		Checked:    r.Checked(),
	}
	for _, name := range report.SeverityNames() {
		s.BySeverity[name] = 0
	}
	for sev, n := range r.Counts() {
		s.BySeverity[sev.String()] = n
	}
	for _, p := range r.Policies {
		s.ByStatus[string(p.Status)]++
	}
	// Empty lists are [] rather than null so consumers need no special case.
	out := *r
	if out.Findings == nil {
		out.Findings = []report.Finding{}
	}
	if out.Policies == nil {
		out.Policies = []report.PolicyResult{}
	}
	if out.Collectors == nil {
		out.Collectors = []report.CollectorResult{}
	}
	if out.Bundles == nil {
		out.Bundles = []report.Bundle{}
	}
	enc := json.NewEncoder(j.w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(document{Report: &out, Summary: s}); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}
