package pipeline

import (
	"fmt"

	"github.com/assay-dev/assay/internal/hclguard"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
)

// baselineUse is how --baseline and assay diff read reports: within
// DefaultMaxReportSize, and a report of another schema version is made
// again rather than rendered.
var baselineUse = reportUse{
	tooLarge: func(n int64) error {
		return fmt.Errorf("larger than the %s limit of a JSON report", hclguard.Size(n))
	},
	otherVersion: "it was written by assay %s: scan again with this assay to make a report to compare with",
}

// ReadBaseline reads --baseline: the JSON report of an earlier scan
// (assay scan -f json). What is not one (another tool's JSON, a report of
// another schema version, a file beyond DefaultMaxReportSize) is refused
// with a usage error (exit code 2) naming the file, and the line and
// column of a syntax error.
func ReadBaseline(path string) (*SavedReport, error) {
	r, err := readReport(path, DefaultMaxReportSize, baselineUse)
	if err != nil {
		return nil, exitcode.UsageError(fmt.Errorf("--baseline: %w", err))
	}
	return r, nil
}

// Diff compares two saved JSON reports: what the later one found that the
// earlier did not (new), what both found (unchanged), and what only the
// earlier found (fixed), matched by the baseline key
// (report.Finding.BaselineKey). Files that are not reports are usage
// errors (exit code 2).
func Diff(earlier, later string) (*DiffResult, error) {
	old, err := readReport(earlier, DefaultMaxReportSize, baselineUse)
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	cur, err := readReport(later, DefaultMaxReportSize, baselineUse)
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	c := compareSections(old, cur)
	return &DiffResult{
		Earlier: DiffSide{File: earlier, Tool: old.Report.Tool, Target: old.Report.Target, StartedAt: old.Report.StartedAt},
		Later:   DiffSide{File: later, Tool: cur.Report.Tool, Target: cur.Report.Target, StartedAt: cur.Report.StartedAt},
		Summary: DiffSummary{New: len(c.New), Unchanged: len(c.Unchanged), Fixed: len(c.Fixed)},
		New:     c.New, Unchanged: c.Unchanged, Fixed: c.Fixed,
	}, nil
}

// For is the baseline of one target of a multi-target run: the section of
// a multi-target baseline scanned from the same target, or a
// single-target baseline whole. A target the baseline did not scan has an
// empty one, so all its findings are new. For of nil is nil: no baseline.
func (b *SavedReport) For(target string) *SavedReport {
	if b == nil || !b.Report.Multi() {
		return b
	}
	for _, t := range b.Report.Targets {
		if t.Report != nil && t.Report.Target.Name == target {
			return &SavedReport{Path: b.Path, Report: t.Report}
		}
	}
	empty := &report.Report{SchemaVersion: report.SchemaVersion, Tool: b.Report.Tool, StartedAt: b.Report.StartedAt}
	empty.Target.Name = target
	return &SavedReport{Path: b.Path, Report: empty}
}

// compareSections compares two reports target by target: each section of
// the later report with the earlier report's section of the same target
// (For: a single-target earlier report is compared whole, whatever its
// target's name, so a rebuilt image keeps its findings unchanged), and a
// target only the earlier report scanned as fixed whole.
func compareSections(old, cur *SavedReport) report.Comparison {
	all := report.Comparison{New: []report.Finding{}, Unchanged: []report.Finding{}, Fixed: []report.Finding{}}
	seen := map[string]bool{}
	for _, sec := range cur.Report.Sections() {
		seen[sec.Target.Name] = true
		c := report.Compare(old.For(sec.Target.Name).Report.Findings, sec.Findings)
		all.New = append(all.New, c.New...)
		all.Unchanged = append(all.Unchanged, c.Unchanged...)
		all.Fixed = append(all.Fixed, c.Fixed...)
	}
	if old.Report.Multi() {
		for _, sec := range old.Report.Sections() {
			if !seen[sec.Target.Name] {
				all.Fixed = append(all.Fixed, sec.Findings...)
			}
		}
	}
	return all
}
