// Package jsonout writes a report as JSON (-f json): the stable, documented
// schema of docs/output.md, for scripts and dashboards.
package jsonout

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
)

// Format is the output format -f json.
func Format() exporters.Format {
	return exporters.Format{
		Name: "json",
		Ext:  ".json",
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
//
// The findings, most of a large report (40 MB of JSON for 100,000
// documents), are written one at a time. encoding/json makes the whole
// text of a value before it writes any, and indents it in a second copy:
// at the end of a large run, when the findings are all held already, that
// was the peak of its memory. So the report is encoded with each list of
// findings standing for one marker finding, and each marker's text is
// replaced, as it is written, by the findings it stands for. The output is
// the same, byte for byte.
func (j *Exporter) Export(_ context.Context, r *report.Report) error {
	var (
		v any
		// Where the findings' elements stand: the report's findings
		// (depth 2), or a target's in the targets of a multi-target one
		// (depth 4).
		lists = &findingLists{depth: 2}
	)
	if r.Multi() {
		lists.depth = 4
		v = j.multi(r, lists)
	} else {
		v = j.single(r, lists)
	}
	skeleton, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	w := bufio.NewWriterSize(j.w, 64<<10)
	if err := lists.write(w, skeleton); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	w.WriteByte('\n')
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

// findingLists are the lists of findings that markers stand for in a
// report being encoded.
type findingLists struct {
	nonce   string
	lists   [][]report.Finding
	markers []report.Finding
	// depth is the indentation depth of the markers, the same for every
	// list of a report. It is known, not searched for: a search for a
	// marker at a depth it is not at reads the rest of the report, for
	// each list, which took minutes for a thousand targets.
	depth int
}

// stand returns the one-finding list that stands for findings in the
// encoded report: a copy of the first with a message that no report holds
// (a random nonce). An empty list, or any list when l is nil, stands for
// itself.
func (l *findingLists) stand(findings []report.Finding) []report.Finding {
	if l == nil || len(findings) == 0 {
		return findings
	}
	if l.nonce == "" {
		l.nonce = "assay-json-findings-" + rand.Text()
	}
	m := findings[0]
	m.Message = l.nonce + "-" + strconv.Itoa(len(l.lists))
	m.Details, m.Controls = nil, nil
	l.lists = append(l.lists, findings)
	l.markers = append(l.markers, m)
	return []report.Finding{m}
}

// write writes the skeleton with each marker replaced by its findings,
// indented as encoding/json would have indented them where it stands.
func (l *findingLists) write(w *bufio.Writer, skeleton []byte) error {
	prefix := strings.Repeat("  ", l.depth)
	rest := skeleton
	for i := range l.markers {
		text, err := json.MarshalIndent(&l.markers[i], prefix, "  ")
		if err != nil {
			return err
		}
		at := bytes.Index(rest, text)
		if at < 0 {
			return errors.New("internal error: a list of findings was lost while encoding the report")
		}
		if _, err := w.Write(rest[:at]); err != nil {
			return err
		}
		for k := range l.lists[i] {
			if k > 0 {
				w.WriteString(",\n")
				w.WriteString(prefix)
			}
			b, err := json.MarshalIndent(&l.lists[i][k], prefix, "  ")
			if err != nil {
				return err
			}
			// The writer's error sticks, and would be returned at the end,
			// but a reader gone (assay scan -f json | head) must not
			// have the rest of 100,000 findings encoded for nothing.
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		rest = rest[at+len(text):]
	}
	_, err := w.Write(rest)
	return err
}

// single is the schema-1 object of one target's report.
func (j *Exporter) single(r *report.Report, lists *findingLists) document {
	s := summary{
		ExitCode:   j.gate.ExitCode(r),
		Documents:  r.Documents,
		Findings:   len(r.Findings),
		Failing:    j.gate.FailingCount(r),
		BySeverity: severities(r),
		ByStatus:   map[string]int{},
		Waived:     r.WaivedCount(),
		Checked:    r.Checked(),
	}
	for _, p := range r.Policies {
		s.ByStatus[string(p.Status)]++
	}
	// Empty lists are [] rather than null so consumers need no special case.
	out := *r
	if out.Findings == nil {
		out.Findings = []report.Finding{}
	}
	out.Findings = lists.stand(out.Findings)
	if out.Policies == nil {
		out.Policies = []report.PolicyResult{}
	}
	if out.Collectors == nil {
		out.Collectors = []report.CollectorResult{}
	}
	if out.Bundles == nil {
		out.Bundles = []report.Bundle{}
	}
	return document{Report: &out, Summary: s}
}

func severities(r *report.Report) map[string]int {
	m := map[string]int{}
	for _, name := range report.SeverityNames() {
		m[name] = 0
	}
	for sev, n := range r.Counts() {
		m[sev.String()] = n
	}
	return m
}

// multiDocument is the schema-2 object of a multi-target report: the run,
// and one schema-1 section per target with its status.
type multiDocument struct {
	SchemaVersion string          `json:"schema_version"`
	Tool          report.Tool     `json:"tool"`
	StartedAt     any             `json:"started_at"`
	Bundles       []report.Bundle `json:"bundles"`
	Targets       []section       `json:"targets"`
	Timings       report.Timings  `json:"timings"`
	Summary       multiSummary    `json:"summary"`
}

type section struct {
	document
	Status report.TargetStatus `json:"status"`
	Error  string              `json:"error,omitempty"`
	Labels map[string]string   `json:"labels,omitempty"`
}

type multiSummary struct {
	ExitCode      int            `json:"exit_code"`
	Targets       int            `json:"targets"`
	FailedTargets int            `json:"failed_targets"`
	Documents     int            `json:"documents"`
	Findings      int            `json:"findings"`
	Failing       int            `json:"failing"`
	BySeverity    map[string]int `json:"by_severity"`
}

func (j *Exporter) multi(r *report.Report, lists *findingLists) multiDocument {
	out := multiDocument{
		SchemaVersion: report.MultiSchemaVersion, Tool: r.Tool, StartedAt: r.StartedAt, Bundles: r.Bundles,
		Targets: make([]section, 0, len(r.Targets)), Timings: r.Timings,
		Summary: multiSummary{ExitCode: j.gate.ExitCode(r), Targets: len(r.Targets), FailedTargets: r.FailedTargets(),
			Failing: j.gate.FailingCount(r), BySeverity: severities(r)},
	}
	if out.Bundles == nil {
		out.Bundles = []report.Bundle{}
	}
	for i := range r.Targets {
		t := &r.Targets[i]
		rep := t.Report
		if rep == nil {
			rep = &report.Report{SchemaVersion: report.SchemaVersion, Tool: r.Tool}
		}
		doc := j.single(rep, lists)
		doc.Summary.ExitCode = j.gate.TargetExitCode(t)
		out.Targets = append(out.Targets, section{document: doc, Status: t.Status, Error: t.Error, Labels: t.Labels})
		out.Summary.Documents += rep.Documents
		out.Summary.Findings += len(rep.Findings)
	}
	return out
}
