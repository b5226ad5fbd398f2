package report

import "github.com/assay-dev/assay/core/target"

// MultiSchemaVersion is the JSON schema version of a multi-target report
// (docs/output.md): the run's facts at the top and one section per target
// in targets[], each section the schema-1 report of that target.
const MultiSchemaVersion = "2"

// TargetStatus says whether a target of a multi-target run was scanned.
type TargetStatus string

// Target statuses.
const (
	// TargetOK is a target that was reached and scanned to the end; its
	// report may still hold failed collectors or policies.
	TargetOK TargetStatus = "ok"
	// TargetFailed is a target that could not be scanned: down, host key
	// refused, authentication refused, or a connection that hung or
	// dropped mid-scan. Its report holds no findings: a half-read host
	// must never pass as clean.
	TargetFailed TargetStatus = "failed"
)

// TargetResult is one target's section of a multi-target report (scan
// --target, --inventory). Report is the report a scan of that target alone
// would have written; a failed target's report names the target and the
// collectors that ran before the failure, and has no policies or findings.
type TargetResult struct {
	Report *Report
	Status TargetStatus
	// Error is why the target failed ("" when ok): the fingerprint of a host
	// key that is not trusted, the reason authentication failed, the
	// operation that got no answer in time.
	Error string
	// Labels are the inventory's labels of the target (site, role…).
	Labels map[string]string
}

// Info is the target the section describes.
func (t *TargetResult) Info() target.Info {
	if t.Report == nil {
		return target.Info{}
	}
	return t.Report.Target
}

// Multi reports whether r is a multi-target report: one section per target
// in Targets, with the fields of r itself describing the run as a whole
// (Tool, StartedAt, Bundles, Timings) and no findings, policies or
// collectors of its own.
func (r *Report) Multi() bool { return r.Targets != nil }

// Sections returns the per-target reports: the sections of a multi-target
// report (a failed target's too), or r itself.
func (r *Report) Sections() []*Report {
	if !r.Multi() {
		return []*Report{r}
	}
	out := make([]*Report, 0, len(r.Targets))
	for i := range r.Targets {
		if r.Targets[i].Report != nil {
			out = append(out, r.Targets[i].Report)
		}
	}
	return out
}

// FailedTargets counts the sections whose target could not be scanned.
func (r *Report) FailedTargets() int {
	n := 0
	for _, t := range r.Targets {
		if t.Status == TargetFailed {
			n++
		}
	}
	return n
}

// Only returns a multi-target report holding only section i, for the
// outputs written one file per target (-f FORMAT=DIR/). The sections are
// shared, not copied.
func (r *Report) Only(i int) *Report {
	c := *r
	c.Targets = r.Targets[i : i+1 : i+1]
	return &c
}
