// Package waiver reads waiver files and applies them to reports. A waiver
// accepts the risk of some findings until it expires: they stay in every
// output, marked, and do not count toward the gate. Waiver files are HCL,
// parsed and evaluated through internal/hclguard as bundles are:
//
//	waiver "legacy-bastion-root-login" {
//	  policy        = "ssh-baseline/sshd-permit-root-login"
//	  targets       = ["bastion-*"]
//	  paths         = ["/etc/ssh/sshd_config"]
//	  justification = "Break-glass host; key-only root, reviewed quarterly"
//	  approved_by   = "secops@example.com"
//	  expires       = "2027-03-31"
//	  ticket        = "SEC-1234"
//	}
//
// Parse reads one file; Set.Check validates the waivers against the loaded
// bundles' policies and the expiry horizon; Set.Apply marks a report's
// findings. docs/waivers.md is the reference.
package waiver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/core/report"
)

// Limits on what waiver files may make assay hold and match.
const (
	// MaxFileSize bounds one waiver file: some thousands of waivers.
	MaxFileSize = 4 << 20
	// MaxWaivers bounds the waivers of all files together: each finding is
	// matched against those of its policy.
	MaxWaivers = 10_000
	// MaxPatterns bounds the targets and paths of one waiver.
	MaxPatterns = 100
	// MaxIDLength bounds a waiver's id, which labels a metric.
	MaxIDLength = 128
)

// Waiver is one waiver block.
type Waiver struct {
	// Waiver is what a waived finding carries (id, justification,
	// approved_by, expires as written, ticket).
	report.Waiver
	// Policy is the BUNDLE/POLICY pattern (path.Match syntax).
	Policy string
	// Targets match the target's name or its hostname; Paths the
	// finding's path. Empty matches any.
	Targets []string
	Paths   []string
	// Fingerprint, when set, matches one finding exactly.
	Fingerprint string
	// ExpiresAt is when the waiver stops applying: a date's first
	// instant, UTC, or the time given.
	ExpiresAt time.Time

	// DeclRange is the block's header; PolicyRange and ExpiresRange its
	// policy and expires values, for diagnostics.
	DeclRange, PolicyRange, ExpiresRange hcl.Range
}

// Source is where the waiver is declared, "waivers.hcl:12".
func (w *Waiver) Source() string {
	return fmt.Sprintf("%s:%d", w.DeclRange.Filename, w.DeclRange.Start.Line)
}

// Expired reports whether the waiver no longer applies at now.
func (w *Waiver) Expired(now time.Time) bool { return !now.Before(w.ExpiresAt) }

// Set is the waivers of all waiver files, in file order.
type Set struct {
	Waivers []*Waiver
	// Files are the files read, with the SHA-256 of their content.
	Files []report.WaiverFile
	// HCL holds the parsed files, for showing diagnostics with their
	// source.
	HCL map[string]*hcl.File
}

// File is one waiver file's name (as diagnostics show it) and content.
type File struct {
	Name string
	Src  []byte
}

// Load parses the files into one set. A waiver with an error is left out
// and the others are kept, so that one run reports every mistake; any
// error diagnostic means the set must not be used.
func Load(files []File) (*Set, hcl.Diagnostics) { return load(files, MaxWaivers) }

// load is Load with at most max waivers.
func load(files []File, max int) (*Set, hcl.Diagnostics) {
	s := &Set{HCL: map[string]*hcl.File{}}
	var diags hcl.Diagnostics
	first := map[string]*Waiver{}
	for _, f := range files {
		sum := sha256.Sum256(f.Src)
		s.Files = append(s.Files, report.WaiverFile{Path: f.Name, SHA256: hex.EncodeToString(sum[:])})
		ws, file, d := Parse(f.Src, f.Name)
		diags = append(diags, d...)
		if file != nil {
			s.HCL[f.Name] = file
		}
		for _, w := range ws {
			if prev, dup := first[w.ID]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate waiver",
					Detail:   fmt.Sprintf("A waiver %q is already declared at %s; give each waiver its own id.", w.ID, prev.Source()),
					Subject:  w.DeclRange.Ptr(),
				})
				continue
			}
			if len(s.Waivers) == max {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Too many waivers",
					Detail:   fmt.Sprintf("The waiver files hold more than %d waivers, the limit. Waive a whole policy or path with a pattern rather than each finding.", max),
					Subject:  w.DeclRange.Ptr(),
				})
				return s, diags
			}
			first[w.ID] = w
			s.Waivers = append(s.Waivers, w)
		}
	}
	return s, diags
}

// Check validates the set against the policies the loaded bundles hold
// (as BUNDLE/POLICY) and the expiry horizon: a waiver whose policy
// pattern matches no policy is an error, with the closest name offered;
// so is one that expires more than maxDays after now (0: no limit).
func (s *Set) Check(policies []string, now time.Time, maxDays int) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, w := range s.Waivers {
		if !matchesAny(w.Policy, policies) {
			diags = append(diags, unknownPolicy(w, policies))
		}
		if maxDays > 0 && w.ExpiresAt.Sub(now) > time.Duration(maxDays)*24*time.Hour {
			days := int(w.ExpiresAt.Sub(now).Hours() / 24)
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Waiver expires too late",
				Detail: fmt.Sprintf("Waiver %q expires %s, %d days after %s; waivers may last at most %d days (--max-waiver-days). Set an earlier expiry and review the risk again then.",
					w.ID, w.Expires, days, now.UTC().Format(time.DateOnly), maxDays),
				Subject: w.ExpiresRange.Ptr(),
			})
		}
	}
	return diags
}

func matchesAny(pattern string, names []string) bool {
	for _, n := range names {
		if ok, _ := path.Match(pattern, n); ok {
			return true
		}
	}
	return false
}

func unknownPolicy(w *Waiver, policies []string) *hcl.Diagnostic {
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unknown policy",
		Subject:  w.PolicyRange.Ptr(),
	}
	switch {
	case !strings.Contains(w.Policy, "/"):
		d.Detail = fmt.Sprintf("%q is not BUNDLE/POLICY: name the bundle too, as the table and the JSON report show policies.", w.Policy)
	case hasMeta(w.Policy):
		d.Detail = fmt.Sprintf("The pattern %q matches no policy of the loaded bundles.", w.Policy)
	default:
		d.Detail = fmt.Sprintf("No loaded bundle has the policy %q.", w.Policy)
	}
	if s := suggest(w.Policy, policies); s != "" {
		d.Detail += fmt.Sprintf(" Did you mean %q?", s)
	} else {
		d.Detail += " Policies are named BUNDLE/POLICY, as the table and the JSON report show them; check the bundles the scan loads (-b)."
	}
	return d
}

// hasMeta reports whether a pattern holds path.Match's special characters.
func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// Apply marks the findings of r the waivers match, at now: a waiver that
// has not expired waives the finding (the first such one in file order);
// one that has expired marks it waiver_expired, and it counts. A finding
// already waived (an exception rule) is left as it is. Apply then settles
// the policies' statuses and records what each waiver did in r.Waivers.
func (s *Set) Apply(r *report.Report, now time.Time) {
	entries := make([]report.WaiverEntry, len(s.Waivers))
	for i, w := range s.Waivers {
		entries[i] = report.WaiverEntry{Waiver: w.Waiver, Policy: w.Policy, Source: w.Source(), ExpiresAt: w.ExpiresAt, Expired: w.Expired(now)}
	}
	// The policy patterns are matched once per policy, not per finding.
	candidates := map[string][]int{}
	for i := range r.Findings {
		f := &r.Findings[i]
		name := f.Bundle + "/" + f.PolicyID
		cands, ok := candidates[name]
		if !ok {
			for j, w := range s.Waivers {
				if m, _ := path.Match(w.Policy, name); m {
					cands = append(cands, j)
				}
			}
			candidates[name] = cands
		}
		var waived, expired *Waiver
		for _, j := range cands {
			w := s.Waivers[j]
			if !w.matches(f, r.Host) {
				continue
			}
			entries[j].Findings++
			switch {
			case !w.Expired(now):
				if waived == nil {
					waived = w
				}
			case expired == nil:
				expired = w
			}
		}
		if f.Waived != nil {
			continue
		}
		if waived != nil {
			wv := waived.Waiver
			f.Waived = &wv
		} else if expired != nil {
			f.WaiverExpired = &report.ExpiredWaiver{ID: expired.ID, Expired: expired.Expires}
		}
	}
	for i := range entries {
		entries[i].Stale = entries[i].Findings == 0
	}
	r.SettleWaived()
	r.Waivers = &report.Waivers{Now: now.UTC(), Files: s.Files, Entries: entries}
}

// matches reports whether the waiver covers the finding (its policy
// already matched): every condition given holds.
func (w *Waiver) matches(f *report.Finding, host string) bool {
	if w.Fingerprint != "" && w.Fingerprint != f.Fingerprint {
		return false
	}
	if len(w.Targets) > 0 && !anyMatch(w.Targets, f.Target) && (host == "" || !anyMatch(w.Targets, host)) {
		return false
	}
	if len(w.Paths) > 0 && (f.Path == "" || !anyMatch(w.Paths, f.Path)) {
		return false
	}
	return true
}

func anyMatch(patterns []string, s string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}
