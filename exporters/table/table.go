// Package table writes a report for people (-f table, the default): findings
// aligned in columns, worst first, then one summary line. Colour is used only
// on a terminal and never when NO_COLOR is set (the CLI decides).
package table

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
)

// Format is the output format -f table.
func Format() exporters.Format {
	return exporters.Format{
		Name: "table",
		Ext:  ".txt",
		Help: "aligned, human-readable findings and a summary (default)",
		New:  func(w io.Writer, o exporters.Options) exporters.Exporter { return New(w, o) },
	}
}

// Exporter writes the human-readable table.
type Exporter struct {
	w          io.Writer
	color      bool
	gate       report.Gate
	showWaived bool
}

// New returns a table exporter writing to w; on a terminal (o.Terminal) it
// uses ANSI colours. Waived findings are listed only with o.ShowWaived.
func New(w io.Writer, o exporters.Options) *Exporter {
	return &Exporter{w: w, color: o.Terminal, gate: o.Gate, showWaived: o.ShowWaived}
}

const (
	reset  = "\x1b[0m"
	bold   = "\x1b[1m"
	dim    = "\x1b[2m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	blue   = "\x1b[34m"
	purple = "\x1b[35m"
	cyan   = "\x1b[36m"
	green  = "\x1b[32m"
)

var severityColor = map[report.Severity]string{
	report.SeverityCritical: bold + purple,
	report.SeverityHigh:     red,
	report.SeverityMedium:   yellow,
	report.SeverityLow:      cyan,
	report.SeverityInfo:     dim,
}

func (t *Exporter) paint(code, s string) string {
	if !t.color || code == "" {
		return s
	}
	return code + s + reset
}

// Export implements exporters.Exporter. A multi-target report is grouped
// by target: a heading, the target's table and summary, then one line over
// all targets.
func (t *Exporter) Export(_ context.Context, r *report.Report) error {
	var b strings.Builder
	if r.Multi() {
		t.writeMulti(&b, r)
	} else {
		t.writeReport(&b, r, t.gate.ExitCode(r))
	}
	_, err := io.WriteString(t.w, t.inert(b.String()))
	return err
}

// ownCodes are the escape sequences the table itself writes (paint).
var ownCodes = []string{reset, bold, dim, red, yellow, blue, purple, cyan, green}

// inert keeps the text of a report from acting on the terminal it is
// printed to: a file name, a message or an error from the target may hold
// escape sequences that retitle the window, clear the screen or rewrite the
// lines above. Every control character but newline and tab, and every byte
// that is not UTF-8 (a lone 0x9B is a CSI to some terminals), becomes
// U+FFFD, one column as it was, so the columns stay aligned; an escape
// stays only where it starts one of the table's own colour codes, when it
// paints. It runs once over the whole output, so no string of the report
// can miss it, and copies nothing when there is nothing to replace.
func (t *Exporter) inert(s string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		c := s[i]
		if c >= ' ' && c < 0x7f || c == '\n' || c == '\t' { // most of it
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		bad := r == utf8.RuneError && n == 1 || unicode.IsControl(r)
		if bad && !(r == '\x1b' && t.color && slices.ContainsFunc(ownCodes, func(c string) bool { return strings.HasPrefix(s[i:], c) })) {
			b.Grow(len(s) - b.Len())
			b.WriteString(s[done:i])
			b.WriteRune(utf8.RuneError)
			done = i + n
		}
		i += n
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

func (t *Exporter) writeMulti(b *strings.Builder, r *report.Report) {
	failed := 0
	for i := range r.Targets {
		sec := &r.Targets[i]
		name := sec.Info().Name
		if i > 0 {
			b.WriteByte('\n')
		}
		if sec.Status == report.TargetFailed {
			failed++
			fmt.Fprintf(b, "%s %s\n", t.paint(bold, "== "+name), t.paint(red+bold, "FAILED"))
			fmt.Fprintf(b, "%s %s\n", t.paint(red+bold, "error"), oneLine(sec.Error))
			if sec.Report != nil {
				t.writeProblems(b, sec.Report)
			}
			continue
		}
		fmt.Fprintf(b, "%s\n", t.paint(bold, "== "+name))
		t.writeReport(b, sec.Report, t.gate.TargetExitCode(sec))
	}
	verdict := t.verdict(t.gate.ExitCode(r))
	findings := 0
	for _, s := range r.Sections() {
		findings += len(s.Findings)
	}
	fmt.Fprintf(b, "\n%s  %s (%d failed) · %s in %.2fs\n", verdict, plural(len(r.Targets), "target", "targets"), failed,
		plural(findings, "finding", "findings"), r.Timings.TotalSeconds)
}

// writeReport writes one target's table, problems and summary line.
func (t *Exporter) writeReport(b *strings.Builder, r *report.Report, code int) {
	shown := make([]report.Finding, 0, len(r.Findings))
	for _, f := range r.Findings {
		if f.Waived == nil || t.showWaived {
			shown = append(shown, f)
		}
	}
	if len(shown) > 0 {
		rows := [][]string{{"SEVERITY", "POLICY", "LOCATION", "MESSAGE"}}
		colors := []string{bold}
		for _, f := range shown {
			sev := f.Severity.String()
			if f.Kind == report.Warn {
				sev += " (warn)"
			} else if f.Enforcement == report.Advisory {
				sev += " (advisory)"
			}
			sev += marks(&f)
			loc := f.Location()
			if loc == "" {
				loc = f.Target
			}
			rows = append(rows, []string{sev, f.Bundle + "/" + f.PolicyID, loc, oneLine(f.Message)})
			colors = append(colors, severityColor[f.Severity])
		}
		widths := columnWidths(rows)
		for i, row := range rows {
			for c, cell := range row {
				if c == len(row)-1 {
					if i == 0 {
						cell = t.paint(bold, cell)
					}
					b.WriteString(cell)
					break
				}
				pad := strings.Repeat(" ", widths[c]-utf8.RuneCountInString(cell)+2)
				switch {
				case c == 0:
					b.WriteString(t.paint(colors[i], cell))
				case i == 0:
					b.WriteString(t.paint(bold, cell))
				default:
					b.WriteString(cell)
				}
				b.WriteString(pad)
			}
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	t.writeProblems(b, r)
	t.writeTailoring(b, r)
	t.writeSkips(b, r)
	t.writeWaivers(b, r)
	t.writeScores(b, r)
	t.writeSummary(b, r, code)
}

// writeProblems lists policies that could not be evaluated and collectors
// that failed or skipped items: a report must never look cleaner than it is.
func (t *Exporter) writeProblems(b *strings.Builder, r *report.Report) {
	for _, p := range r.Policies {
		if p.Status == report.StatusError {
			fmt.Fprintf(b, "%s %s/%s: %s\n", t.paint(red+bold, "error"), p.Bundle, p.ID, p.Error)
		}
	}
	for _, c := range r.Collectors {
		if c.Status.Failed() {
			fmt.Fprintf(b, "%s collector %s.%s (%s): %s\n", t.paint(red+bold, "error"), c.Type, c.Name, c.Bundle, c.Error)
		}
		if c.SkippedTotal > 0 {
			fmt.Fprintf(b, "%s collector %s.%s skipped %d item(s)", t.paint(yellow, "note"), c.Type, c.Name, c.SkippedTotal)
			for i, r := range c.SkippedByReason {
				sep := "; "
				if i == 0 {
					sep = ": "
				}
				if i == maxReasons {
					fmt.Fprintf(b, "; %d more reasons", len(c.SkippedByReason)-i)
					break
				}
				fmt.Fprintf(b, "%s%d %s", sep, r.Count, report.Shorten(r.Reason, maxText))
			}
			if len(c.Skipped) > 0 {
				fmt.Fprintf(b, "; e.g. %s: %s", report.Shorten(c.Skipped[0].Path, maxText), report.Shorten(c.Skipped[0].Reason, maxText))
			}
			b.WriteString(" (-f json lists them)\n")
		}
	}
}

// Bounds of a collector's skip note: the table is read by people, and a
// target chooses how long its names are.
const (
	maxReasons = 5   // reasons with their counts
	maxText    = 200 // bytes of a path or a reason
)

func (t *Exporter) writeSummary(b *strings.Builder, r *report.Report, code int) {
	status := map[report.Status]int{}
	for _, p := range r.Policies {
		status[p.Status]++
	}
	var parts []string
	for _, s := range []report.Status{report.StatusPass, report.StatusFail, report.StatusWarn, report.StatusError, report.StatusSkip, report.StatusWaived} {
		if n := status[s]; n > 0 || s == report.StatusPass || s == report.StatusFail {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	// Findings are counted as the gate sees them: waived ones apart.
	counts := map[report.Severity]int{}
	findings, waived := 0, 0
	for _, f := range r.Findings {
		if f.Waived != nil {
			waived++
			continue
		}
		findings++
		counts[f.Severity]++
	}
	var sev []string
	for s := report.SeverityCritical; s >= report.SeverityInfo; s-- {
		txt := fmt.Sprintf("%d %s", counts[s], s)
		if counts[s] > 0 {
			txt = t.paint(severityColor[s], txt)
		}
		sev = append(sev, txt)
	}
	docs := r.Documents
	verdict := t.verdict(code)
	var extra []string
	if waived > 0 {
		extra = append(extra, fmt.Sprintf("%d waived", waived))
	}
	if n := len(r.ExpiredWaivers()); n > 0 {
		extra = append(extra, t.paint(yellow, plural(n, "waiver", "waivers")+" expired"))
	}
	if b := r.Baseline; b != nil {
		extra = append(extra, fmt.Sprintf("%d new, %d unchanged, %d fixed", b.New, b.Unchanged, b.Fixed))
	}
	if n := failedCollectors(r); n > 0 {
		extra = append(extra, t.paint(red, plural(n, "collector", "collectors")+" failed"))
	}
	if len(extra) > 0 {
		extra = append([]string{""}, extra...)
	}
	fmt.Fprintf(b, "%s  %s (%s) · %s (%s)%s · %s · %s in %.2fs\n",
		verdict, plural(len(r.Policies), "policy", "policies"), strings.Join(parts, ", "),
		plural(findings, "finding", "findings"), strings.Join(sev, ", "), strings.Join(extra, " · "),
		plural(docs, "document", "documents"), r.Target.Name, r.Timings.TotalSeconds)
}

// verdict says what the exit code means: PASS, FAIL (violations) or ERROR.
func (t *Exporter) verdict(code int) string {
	switch code {
	case exitcode.Violations:
		return t.paint(red+bold, "FAIL")
	case exitcode.ScanFailed:
		return t.paint(red+bold, "ERROR")
	}
	return t.paint(green+bold, "PASS")
}

// failedCollectors counts the collectors that failed, timed out or were
// still running from an earlier scan.
func failedCollectors(r *report.Report) int {
	n := 0
	for _, c := range r.Collectors {
		if c.Status.Failed() {
			n++
		}
	}
	return n
}

func columnWidths(rows [][]string) []int {
	w := make([]int, len(rows[0]))
	for _, row := range rows {
		for c, cell := range row {
			if n := utf8.RuneCountInString(cell); n > w[c] {
				w[c] = n
			}
		}
	}
	return w
}

// oneLine keeps a multi-line message on its row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
