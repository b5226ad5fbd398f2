package report

import "time"

// StatusWaived is a policy whose every finding is waived: it would have
// failed (or warned), and an accepted risk covers all of it. Scores count
// it as passed and show it as waived.
const StatusWaived Status = "waived"

// WaiverKind says where the mark of an accepted risk comes from.
type WaiverKind string

// WaiverException is the kind of a conftest-style exception rule of the
// policy's own Rego package; a waiver file's waivers have no kind.
const WaiverException WaiverKind = "exception"

// Waiver marks a finding as an accepted risk: it stays in every output,
// marked, and does not count toward the gate or the exit code.
type Waiver struct {
	ID string `json:"id"`
	// Kind is WaiverException for an exception rule; empty for a waiver
	// file's waiver.
	Kind          WaiverKind `json:"kind,omitempty"`
	Justification string     `json:"justification"`
	ApprovedBy    string     `json:"approved_by,omitempty"`
	// Expires is the expiry as the waiver file writes it: an RFC 3339
	// date or time.
	Expires string `json:"expires,omitempty"`
	Ticket  string `json:"ticket,omitempty"`
}

// ExceptionWaiver is the mark of a finding that an exception rule of the
// Rego package pkg excepts (conftest's `exception`): every output shows it
// as a waived finding, justified "exception rule in PKG". rule is the name
// the exception excepts ("" for the plain deny, violation and warn rules):
// the id is "exception:PKG:RULE".
func ExceptionWaiver(pkg, rule string) *Waiver {
	return &Waiver{ID: "exception:" + pkg + ":" + rule, Kind: WaiverException, Justification: "exception rule in " + pkg}
}

// ExpiredWaiver marks a finding a waiver covered until it expired: the
// finding counts again.
type ExpiredWaiver struct {
	ID string `json:"id"`
	// Expired is the waiver's expiry, as the waiver file writes it.
	Expired string `json:"expired"`
}

// Waivers is what the waiver files of a scan did: the files (with the
// SHA-256 of what was read, for an auditor), the clock they were judged
// by, and each waiver's outcome.
type Waivers struct {
	// Now is the time the waivers' expiry was judged at: the scan's clock,
	// or --now.
	Now     time.Time     `json:"now"`
	Files   []WaiverFile  `json:"files"`
	Entries []WaiverEntry `json:"entries"`
}

// WaiverFile is one waiver file read.
type WaiverFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// WaiverEntry is one waiver and what it did in this scan.
type WaiverEntry struct {
	Waiver
	// Policy is the waiver's BUNDLE/POLICY pattern.
	Policy string `json:"policy"`
	// Source is where the waiver is declared, "waivers.hcl:12".
	Source string `json:"source"`
	// ExpiresAt is when it stops applying (a date means its first
	// instant, UTC).
	ExpiresAt time.Time `json:"expires_at"`
	// Expired is set once ExpiresAt has passed: it applies no more, and
	// the findings it matches count again.
	Expired bool `json:"expired"`
	// Findings counts the findings it matched: waived, or, expired,
	// counted again.
	Findings int `json:"findings"`
	// Stale is set when it matched no finding: remove it, or fix it.
	Stale bool `json:"stale"`
}

// Accepted reports whether the finding does not count toward the gate: it
// is waived, or a baseline already held it.
func (f *Finding) Accepted() bool {
	return f.Waived != nil || f.Baseline == BaselineUnchanged
}

// WaivedCount counts the waived findings.
func (r *Report) WaivedCount() int {
	n := 0
	for i := range r.Findings {
		if r.Findings[i].Waived != nil {
			n++
		}
	}
	return n
}

// ExpiredWaivers lists the waivers of the scan that have expired yet still
// match findings, which count again.
func (r *Report) ExpiredWaivers() []WaiverEntry {
	if r.Waivers == nil {
		return nil
	}
	var out []WaiverEntry
	for _, e := range r.Waivers.Entries {
		if e.Expired && e.Findings > 0 {
			out = append(out, e)
		}
	}
	return out
}

// StaleWaivers lists the waivers that matched no finding.
func (r *Report) StaleWaivers() []WaiverEntry {
	if r.Waivers == nil {
		return nil
	}
	var out []WaiverEntry
	for _, e := range r.Waivers.Entries {
		if e.Stale {
			out = append(out, e)
		}
	}
	return out
}

// SettleWaived gives each failing or warning policy whose every finding is
// waived the status waived, and a waived policy with findings that count
// again its status back; statuses of error and skip are left alone. Call it
// after marking findings.
func (r *Report) SettleWaived() {
	type tally struct{ deny, warn, waived int }
	t := map[[2]string]*tally{}
	for i := range r.Findings {
		f := &r.Findings[i]
		k := [2]string{f.Bundle, f.PolicyID}
		if t[k] == nil {
			t[k] = &tally{}
		}
		switch {
		case f.Waived != nil:
			t[k].waived++
		case f.Kind == Warn:
			t[k].warn++
		default:
			t[k].deny++
		}
	}
	for i := range r.Policies {
		p := &r.Policies[i]
		c := t[[2]string{p.Bundle, p.ID}]
		if c == nil || (p.Status != StatusFail && p.Status != StatusWarn && p.Status != StatusWaived) {
			continue
		}
		p.Waived = c.waived
		switch {
		case c.deny > 0:
			p.Status = StatusFail
		case c.warn > 0:
			p.Status = StatusWarn
		case c.waived > 0:
			p.Status = StatusWaived
		}
	}
}
