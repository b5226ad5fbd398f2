package engine

import (
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"

	"github.com/assay-dev/assay/bundle"
)

// coverageOf is OPA's coverage report of a bundle's modules (its test
// modules left out). The modules of one file (the inline Rego of the
// policies of one .hcl file) are reported together, as one file.
func coverageOf(cov *cover.Cover, modules []*bundle.Module) *cover.Report {
	byFile := map[string]*ast.Module{}
	for _, m := range modules {
		if m == nil || m.Parsed == nil {
			continue
		}
		merged, ok := byFile[m.Filename]
		if !ok {
			merged = &ast.Module{Package: m.Parsed.Package}
			byFile[m.Filename] = merged
		}
		merged.Rules = append(merged.Rules, m.Parsed.Rules...)
	}
	all := cov.Report(byFile)
	rep := &cover.Report{Files: map[string]*cover.FileReport{}}
	for name := range byFile {
		if fr := all.Files[name]; fr != nil {
			rep.Files[name] = fr
		}
	}
	return rep
}

// mergeCoverage adds the files of src to dst; a file both report (two
// bundles loaded from one directory) keeps the union of their ranges.
func mergeCoverage(dst, src *cover.Report) {
	for name, fr := range src.Files {
		cur, ok := dst.Files[name]
		if !ok {
			dst.Files[name] = fr
			continue
		}
		cur.Covered = append(cur.Covered, fr.Covered...)
		cur.NotCovered = append(cur.NotCovered, fr.NotCovered...)
		covered := rowsOf(cur.Covered)
		var notCovered []cover.Range
		for _, r := range cur.NotCovered {
			if !covered[r.Start.Row] {
				notCovered = append(notCovered, r)
			}
		}
		cur.NotCovered = notCovered
		cur.CoveredLines = len(covered)
		cur.NotCoveredLines = len(rowsOf(cur.NotCovered))
		cur.Coverage = percent(cur.CoveredLines, cur.NotCoveredLines)
	}
}

// totalCoverage sums the files' lines into the report's totals.
func totalCoverage(r *cover.Report) {
	r.CoveredLines, r.NotCoveredLines = 0, 0
	for _, fr := range r.Files {
		r.CoveredLines += fr.CoveredLines
		r.NotCoveredLines += fr.NotCoveredLines
	}
	r.Coverage = percent(r.CoveredLines, r.NotCoveredLines)
}

func percent(covered, notCovered int) float64 {
	if covered+notCovered == 0 {
		return 0
	}
	return 100 * float64(covered) / float64(covered+notCovered)
}

func rowsOf(ranges []cover.Range) map[int]bool {
	rows := map[int]bool{}
	for _, r := range ranges {
		for row := r.Start.Row; row <= r.End.Row; row++ {
			rows[row] = true
		}
	}
	return rows
}

// UncoveredLines lists the lines a file report leaves uncovered as spans,
// [first, last], in order.
func UncoveredLines(fr *cover.FileReport) [][2]int {
	if fr == nil {
		return nil
	}
	rows := rowsOf(fr.NotCovered)
	sorted := make([]int, 0, len(rows))
	for r := range rows {
		sorted = append(sorted, r)
	}
	sort.Ints(sorted)
	var spans [][2]int
	for _, r := range sorted {
		if n := len(spans); n > 0 && spans[n-1][1] == r-1 {
			spans[n-1][1] = r
			continue
		}
		spans = append(spans, [2]int{r, r})
	}
	return spans
}
