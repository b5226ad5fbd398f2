package table

import (
	"fmt"
	"strings"

	"github.com/assay-dev/assay/core/report"
)

// maxParams bounds the params the table names; -f json lists them all.
const maxParams = 8

// writeTailoring lists, above the summary, the overlays applied (name and
// the start of the file's SHA-256), every policy they disabled with its
// reason, and every severity they changed: a tailored run must say so.
func (t *Exporter) writeTailoring(b *strings.Builder, r *report.Report) {
	tl := r.Tailoring
	if tl.Empty() {
		return
	}
	for _, o := range tl.Overlays {
		fmt.Fprintf(b, "%s %s (sha256 %s, %s)\n", t.paint(cyan, "overlay"), o.Name, o.Short(), report.Shorten(o.File, maxText))
	}
	for _, d := range tl.Disabled {
		fmt.Fprintf(b, "%s %s/%s by %s: %s\n", t.paint(cyan, "disabled"), d.Bundle, d.Policy, d.Overlay, oneLine(report.Shorten(d.Reason, maxText)))
	}
	for _, s := range tl.Severities {
		fmt.Fprintf(b, "%s %s/%s %s → %s by %s\n", t.paint(cyan, "severity"), s.Bundle, s.Policy, s.From, s.To, s.Overlay)
	}
	if n := len(tl.Params); n > 0 {
		names := make([]string, 0, min(n, maxParams))
		for _, p := range tl.Params[:min(n, maxParams)] {
			names = append(names, fmt.Sprintf("%s.%s=%s", p.Bundle, p.Name, report.Shorten(report.ValueText(p.Value), 60)))
		}
		more := ""
		if n > maxParams {
			more = fmt.Sprintf(", and %d more (-f json lists them)", n-maxParams)
		}
		fmt.Fprintf(b, "%s %s%s\n", t.paint(cyan, "params"), strings.Join(names, ", "), more)
	}
}
