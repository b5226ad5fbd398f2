package pipeline

import (
	"fmt"
	"time"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

// fleetReport puts the members' reports together: until reports have a
// section per target, one report whose findings each name their target
// (report.Finding.Target) and whose policies have the worst status any
// target gave them.
func fleetReport(p *Pipeline, members []FleetMember, start time.Time) *report.Report {
	r := NewReport(p.Tool, target.Info{Kind: target.KindDocuments, Name: fmt.Sprintf("fleet of %d targets", len(members))}, p.Bundles)
	r.StartedAt = start.UTC()
	type key struct{ bundle, id string }
	index := map[key]int{}
	rank := map[report.Status]int{report.StatusSkip: 0, report.StatusPass: 1, report.StatusWarn: 2, report.StatusFail: 3, report.StatusError: 4}
	for _, m := range members {
		s := m.Report
		r.Documents += s.Documents
		r.Findings = append(r.Findings, s.Findings...)
		r.Collectors = append(r.Collectors, s.Collectors...)
		r.DataSources = s.DataSources
		for _, pr := range s.Policies {
			k := key{pr.Bundle, pr.ID}
			i, ok := index[k]
			if !ok {
				index[k] = len(r.Policies)
				r.Policies = append(r.Policies, pr)
				continue
			}
			q := &r.Policies[i]
			q.Documents += pr.Documents
			q.Findings += pr.Findings
			if rank[pr.Status] > rank[q.Status] {
				q.Status, q.Error = pr.Status, pr.Error
			}
		}
	}
	r.Timings.TotalSeconds = time.Since(start).Seconds()
	r.Sort()
	return r
}
