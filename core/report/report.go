// Package report is the result model of a scan: findings, the status of every
// policy and collector, and the exit-code decision. Exporters read a Report and
// never change it; the engine and the collector runner fill it.
package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/assay-dev/assay/core/target"
)

// SchemaVersion is the version of the JSON report schema (docs/output.md).
const SchemaVersion = "1"

// Report is everything one scan (or eval) produced.
type Report struct {
	SchemaVersion string            `json:"schema_version"`
	Tool          Tool              `json:"tool"`
	Target        target.Info       `json:"target"`
	Host          string            `json:"host,omitempty"` // hostname the facts came from
	StartedAt     time.Time         `json:"started_at"`
	Duration      time.Duration     `json:"-"`
	Bundles       []Bundle          `json:"bundles"`
	Tailoring     *Tailoring        `json:"tailoring,omitempty"` // what --overlay files changed (tailoring.go)
	Collectors    []CollectorResult `json:"collectors"`
	Policies      []PolicyResult    `json:"policies"`
	Findings      []Finding         `json:"findings"`
	Timings       Timings           `json:"timings"`
	// Documents is how many documents were judged: the collectors' output in
	// a scan, the documents read in an eval (which has no collectors).
	Documents int  `json:"-"`
	Net       *Net `json:"-"` // network identities, for metrics only
	// DataSources are the live data sources (data "ldap", data "http") the
	// policies judged with, and whether that data is fresh.
	DataSources []DataSource `json:"data_sources,omitempty"`
	// Targets, when not nil, makes this a multi-target report (Multi): one
	// section per target of a run over several (--target, --inventory).
	// The JSON exporter writes it in its own shape (schema 2).
	Targets []TargetResult `json:"-"`

	// Waivers is what the waiver files did (waiver.go); Scores the
	// weighted scores and control roll-ups (score.go); Baseline the
	// comparison with an earlier report (baseline.go).
	Waivers  *Waivers  `json:"waivers,omitempty"`
	Scores   *Scores   `json:"scores,omitempty"`
	Baseline *Baseline `json:"baseline,omitempty"`
}

// DataSource is the state of one live data source at a scan: a daemon keeps
// judging with the last good data while a source is down, and says so here.
type DataSource struct {
	Bundle string `json:"bundle"`
	// Name is the data name (data.NAME); Kind the block's kind ("ldap").
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Up is set when the fetch before this scan succeeded; when not, the
	// policies judged with the data of LastSuccess.
	Up bool `json:"up"`
	// LastSuccess is when the data in use was fetched.
	LastSuccess time.Time `json:"last_success"`
	// FetchSeconds is how long the last fetch took.
	FetchSeconds float64 `json:"fetch_seconds"`
	// Entries counts the data in use: list items or object keys.
	Entries int `json:"entries"`
	// Error is why the last fetch failed; it never holds a secret.
	Error string `json:"error,omitempty"`
}

// Tool names the program that produced the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Timings splits the scan's wall time.
type Timings struct {
	TotalSeconds    float64 `json:"total_seconds"`
	CollectSeconds  float64 `json:"collect_seconds"`
	EvaluateSeconds float64 `json:"evaluate_seconds"`
}

// Bundle describes a loaded bundle.
type Bundle struct {
	Name        string `json:"name"`
	Version     string `json:"version,omitempty"`
	Source      string `json:"source"`
	Description string `json:"description,omitempty"`
	Digest      string `json:"digest,omitempty"`
	Revision    string `json:"revision,omitempty"`
	// Signer is the id of the key whose signature verified the bundle
	// archive (--verify-key); absent when no signature was checked.
	Signer string `json:"signer,omitempty"`
}

// CollectorStatus is how a collector's run ended.
type CollectorStatus string

// Collector statuses.
const (
	CollectorOK            CollectorStatus = "ok"
	CollectorFailed        CollectorStatus = "failed"
	CollectorTimeout       CollectorStatus = "timeout"
	CollectorNotApplicable CollectorStatus = "not_applicable"
	// CollectorStillRunning is a collector that was not started: its run
	// from an earlier scan outlived its deadline, was abandoned, and has not
	// returned yet (assay serve). It produced no documents in this scan.
	CollectorStillRunning CollectorStatus = "still_running"
)

// Failed reports whether the collector did not run to the end: it failed,
// timed out, or was still running from an earlier scan. Its documents, if
// any, are not all there is to judge.
func (s CollectorStatus) Failed() bool {
	return s == CollectorFailed || s == CollectorTimeout || s == CollectorStillRunning
}

// CollectorResult is one collect block's run.
type CollectorResult struct {
	Bundle string `json:"bundle"`
	// Type is the collector type ("file"), "kind" in JSON as in the first
	// reports; "target" for what the target itself skipped.
	Type            string          `json:"kind"`
	Name            string          `json:"name"`
	Status          CollectorStatus `json:"status"`
	Error           string          `json:"error,omitempty"`
	Documents       int             `json:"documents"`
	DurationSeconds float64         `json:"duration_seconds"`
	// Skipped lists what the collector passed over and why (bounded; see
	// SkippedTotal for the full count).
	Skipped      []Skip `json:"skipped,omitempty"`
	SkippedTotal int    `json:"skipped_total"`
	// SkippedByReason counts every skip by its cause, most frequent first
	// (bounded: see SkipLog, which fills all three fields).
	SkippedByReason []SkipCount `json:"skipped_by_reason,omitempty"`
}

// Skip is one item a collector could not read.
type Skip struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Status is a policy's outcome over all its documents.
type Status string

// Policy statuses, from best to worst.
const (
	StatusPass  Status = "pass"  // evaluated, nothing found
	StatusWarn  Status = "warn"  // only warnings
	StatusFail  Status = "fail"  // at least one violation
	StatusError Status = "error" // evaluation failed
	StatusSkip  Status = "skip"  // no document to judge (collector not applicable or empty)
)

// PolicyResult is one policy's outcome.
type PolicyResult struct {
	Bundle      string      `json:"bundle"`
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description,omitempty"`
	Severity    Severity    `json:"severity"`
	Enforcement Enforcement `json:"enforcement"`
	Controls    []string    `json:"controls,omitempty"`
	Remediation string      `json:"remediation,omitempty"`
	// Source is where the policy is declared, "bundle/file.hcl:12".
	Source    string `json:"source,omitempty"`
	Status    Status `json:"status"`
	Documents int    `json:"documents"` // documents evaluated
	Findings  int    `json:"findings"`
	Error     string `json:"error,omitempty"`
	// Waived counts the policy's waived findings (waiver.go).
	Waived int `json:"waived,omitempty"`
	// SkipReason says why a skipped policy judged nothing: the collectors
	// it reads and how they fared.
	SkipReason string `json:"skip_reason,omitempty"`
}

// FindingKind separates violations from warnings.
type FindingKind string

// Finding kinds: the Rego rule that produced them.
const (
	Deny FindingKind = "deny"
	Warn FindingKind = "warn"
)

// Finding is one violation or warning.
type Finding struct {
	Bundle      string      `json:"bundle"`
	PolicyID    string      `json:"policy_id"`
	Title       string      `json:"title"`
	Kind        FindingKind `json:"kind"`
	Severity    Severity    `json:"severity"`
	Enforcement Enforcement `json:"enforcement"`
	Controls    []string    `json:"controls,omitempty"`
	Message     string      `json:"message"`
	Remediation string      `json:"remediation,omitempty"`
	// Target is the target's name (host "/", a root dir, an image reference).
	Target string `json:"target"`
	// Collector is the document's collector ("file.authorized_keys"), if any.
	Collector string `json:"collector,omitempty"`
	// Path is the file inside the target the finding is about, if any.
	Path string `json:"path,omitempty"`
	// Line is the 1-based line in Path, when the rule returned one.
	Line int `json:"line,omitempty"`
	// Details holds whatever else an object-valued rule returned.
	Details map[string]any `json:"details,omitempty"`
	// Fingerprint identifies the finding across runs: same policy, same
	// target, same place, same message.
	Fingerprint string `json:"fingerprint"`
	// Waived marks an accepted risk; WaiverExpired a waiver that covered
	// the finding until it expired (waiver.go).
	Waived        *Waiver        `json:"waived,omitempty"`
	WaiverExpired *ExpiredWaiver `json:"waiver_expired,omitempty"`
	// Baseline is "new" or "unchanged" against --baseline (baseline.go).
	Baseline BaselineState `json:"baseline,omitempty"`
}

// ComputeFingerprint sets f.Fingerprint from the fields that identify the
// finding. The line is left out on purpose: editing lines above a violation
// must not make it a new finding.
func (f *Finding) ComputeFingerprint() {
	h := sha256.New()
	for _, s := range []string{f.Bundle, f.PolicyID, f.Target, f.Collector, f.Path, f.Message} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	f.Fingerprint = hex.EncodeToString(h.Sum(nil))[:32]
}

// Location renders path:line for messages, or "".
func (f *Finding) Location() string {
	switch {
	case f.Path == "":
		return ""
	case f.Line > 0:
		return fmt.Sprintf("%s:%d", f.Path, f.Line)
	default:
		return f.Path
	}
}

// Sort orders findings and statuses deterministically: by severity (worst
// first), then bundle, policy, path, line, message.
func (r *Report) Sort() {
	sort.SliceStable(r.Findings, func(i, j int) bool { return less(&r.Findings[i], &r.Findings[j]) })
	sort.SliceStable(r.Policies, func(i, j int) bool {
		a, b := r.Policies[i], r.Policies[j]
		if a.Bundle != b.Bundle {
			return a.Bundle < b.Bundle
		}
		return a.ID < b.ID
	})
	sort.SliceStable(r.Collectors, func(i, j int) bool {
		a, b := r.Collectors[i], r.Collectors[j]
		if a.Bundle != b.Bundle {
			return a.Bundle < b.Bundle
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Name < b.Name
	})
}

// less is the order of findings in Report.Sort and of fixed findings:
// severity (worst first), then bundle, policy, path, line, message.
func less(a, b *Finding) bool {
	if a.Severity != b.Severity {
		return a.Severity > b.Severity
	}
	if a.Bundle != b.Bundle {
		return a.Bundle < b.Bundle
	}
	if a.PolicyID != b.PolicyID {
		return a.PolicyID < b.PolicyID
	}
	if a.Path != b.Path {
		return a.Path < b.Path
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Message < b.Message
}

// Counts tallies findings per severity, over every section of a
// multi-target report.
func (r *Report) Counts() map[Severity]int {
	c := map[Severity]int{}
	for _, s := range r.Sections() {
		for _, f := range s.Findings {
			c[f.Severity]++
		}
	}
	return c
}
