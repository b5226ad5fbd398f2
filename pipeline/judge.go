package pipeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/report"
)

// settle finishes a report once the engine has judged it: why each
// skipped policy judged nothing, the waivers, the baseline, and the
// scores, which count waived policies as passed.
func (p *Pipeline) settle(r *report.Report) {
	explainSkips(r, p.Bundles)
	if p.Waivers != nil {
		p.Waivers.Apply(r, p.now())
	}
	if base := p.Baseline.For(r.Target.Name); base != nil {
		report.MarkBaseline(r, base.Report, base.Path)
	}
	r.Scores = report.ComputeScores(r)
}

// now is the waivers' clock: Now when set (--now), else the time.
func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// explainSkips gives each skipped policy its reason: how the collectors it
// reads fared (not applicable, failed, timed out, found nothing).
func explainSkips(r *report.Report, bundles []*bundle.Bundle) {
	type key struct{ bundle, id string }
	inputs := map[key][]string{}
	all := map[string][]string{} // a bundle's collector IDs, for policies that read them all
	for _, b := range bundles {
		for _, c := range b.Collects {
			all[b.Name] = append(all[b.Name], c.ID())
		}
		for _, pol := range b.Policies {
			inputs[key{b.Name, pol.ID}] = pol.Inputs
		}
	}
	results := map[key]report.CollectorResult{}
	for _, c := range r.Collectors {
		results[key{c.Bundle, c.Type + "." + c.Name}] = c
	}
	for i := range r.Policies {
		pol := &r.Policies[i]
		if pol.Status != report.StatusSkip || pol.SkipReason != "" {
			continue
		}
		ids := inputs[key{pol.Bundle, pol.ID}]
		if len(ids) == 0 {
			ids = all[pol.Bundle]
		}
		var reasons []string
		for _, id := range ids {
			c, ok := results[key{pol.Bundle, id}]
			if !ok {
				continue
			}
			reasons = append(reasons, collectorReason(id, c))
		}
		if len(reasons) == 0 {
			pol.SkipReason = report.NoDocumentReason
			continue
		}
		pol.SkipReason = strings.Join(reasons, ", and ")
	}
}

// collectorReason says why collector id gave a policy nothing to judge.
func collectorReason(id string, c report.CollectorResult) string {
	detail := func(s string) string {
		if c.Error == "" {
			return s
		}
		return s + ": " + c.Error
	}
	switch c.Status {
	case report.CollectorNotApplicable:
		return detail("collector " + id + " does not apply")
	case report.CollectorFailed:
		return detail("collector " + id + " failed")
	case report.CollectorTimeout:
		return detail("collector " + id + " timed out")
	case report.CollectorStillRunning:
		return "collector " + id + " is still running from an earlier scan"
	}
	if c.SkippedTotal > 0 {
		return fmt.Sprintf("collector %s found nothing it could read (%d item(s) skipped)", id, c.SkippedTotal)
	}
	return "collector " + id + " found nothing"
}
