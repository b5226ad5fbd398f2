package table

import (
	"fmt"
	"strings"

	"github.com/assay-dev/assay/core/report"
)

// marks says, after a finding's severity, what the compliance program made
// of it: waived (shown with --show-waived), a waiver that expired (it
// counts again), new against the baseline.
func marks(f *report.Finding) string {
	var m []string
	if f.Waived != nil {
		m = append(m, "waived")
	} else if f.WaiverExpired != nil {
		m = append(m, "waiver expired")
	}
	if f.Baseline == report.BaselineNew {
		m = append(m, "new")
	}
	if len(m) == 0 {
		return ""
	}
	return " (" + strings.Join(m, ", ") + ")"
}

// Bounds of the skipped policies listed: the JSON report lists them all.
const maxSkippedListed = 50

// writeSkips lists the skipped policies, one line each under the reason
// they share: a policy that judged nothing must say why, or a scan of the
// wrong target reads as clean.
func (t *Exporter) writeSkips(b *strings.Builder, r *report.Report) {
	for _, g := range r.SkipGroups() {
		fmt.Fprintf(b, "%s %s: %s\n", t.paint(dim, "skipped"), plural(len(g.Policies), "policy", "policies"), report.Shorten(oneLine(g.Reason), maxText))
		for i, p := range g.Policies {
			if i == maxSkippedListed {
				fmt.Fprintf(b, "  … and %d more (-f json lists them)\n", len(g.Policies)-i)
				break
			}
			fmt.Fprintf(b, "  %s\n", p)
		}
	}
}

// writeWaivers notes the waivers that expired while still covering
// findings, and those that matched nothing.
func (t *Exporter) writeWaivers(b *strings.Builder, r *report.Report) {
	for _, w := range r.ExpiredWaivers() {
		verb := "count"
		if w.Findings == 1 {
			verb = "counts"
		}
		fmt.Fprintf(b, "%s waiver %s (%s) expired %s: %s %s again\n", t.paint(yellow, "note"), w.ID, w.Source, w.Expires,
			plural(w.Findings, "finding", "findings"), verb)
	}
	for _, w := range r.StaleWaivers() {
		fmt.Fprintf(b, "%s waiver %s (%s) matched no finding: remove it, or fix its policy, targets and paths\n", t.paint(yellow, "note"), w.ID, w.Source)
	}
}

// writeScores writes the scores, per bundle and overall, and the control
// roll-up per framework.
func (t *Exporter) writeScores(b *strings.Builder, r *report.Report) {
	s := r.Scores
	if s == nil {
		return
	}
	var bundles []string
	for _, sc := range s.Bundles {
		bundles = append(bundles, sc.Bundle+" "+percent(sc.Score))
	}
	fmt.Fprintf(b, "score %s", percent(s.Overall.Score))
	if len(bundles) > 1 {
		fmt.Fprintf(b, " (%s)", strings.Join(bundles, ", "))
	}
	b.WriteString("\n")
	if len(s.Frameworks) == 0 {
		return
	}
	var fws []string
	for _, f := range s.Frameworks {
		fws = append(fws, fmt.Sprintf("%s %s", f.Framework, tally(f.Tally)))
	}
	fmt.Fprintf(b, "controls %s\n", strings.Join(fws, "; "))
}

func percent(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", *p)
}

// tally says the non-zero counts of a tally: "12 pass, 3 fail, 1 waived".
func tally(t report.Tally) string {
	var parts []string
	for _, c := range []struct {
		n    int
		name string
	}{{t.Pass, "pass"}, {t.Fail, "fail"}, {t.Warn, "warn"}, {t.Error, "error"}, {t.Waived, "waived"}, {t.Skip, "skip"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.name))
		}
	}
	return strings.Join(parts, ", ")
}
