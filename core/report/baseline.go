package report

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/assay-dev/assay/core/target"
)

// BaselineState is a finding's state against an earlier report.
type BaselineState string

// Baseline states, as SARIF's baselineState names them.
const (
	// BaselineNew is a finding the earlier report did not have: it counts
	// toward the gate.
	BaselineNew BaselineState = "new"
	// BaselineUnchanged is a finding the earlier report had already: it
	// does not count toward the gate.
	BaselineUnchanged BaselineState = "unchanged"
)

// Baseline is the comparison of a report with an earlier one (--baseline).
type Baseline struct {
	// File is the earlier report's path; Tool, Target and StartedAt come
	// from it.
	File      string      `json:"file"`
	Tool      Tool        `json:"tool"`
	Target    target.Info `json:"target"`
	StartedAt time.Time   `json:"started_at"`
	New       int         `json:"new"`
	Unchanged int         `json:"unchanged"`
	Fixed     int         `json:"fixed"`
	// FixedFindings are the earlier report's findings this one no longer
	// has.
	FixedFindings []Finding `json:"fixed_findings"`
}

// BaselineKey identifies a finding across scans of the same thing: its
// bundle, policy, path and Evidence, hashed. It leaves out what changes
// between two scans of one system that nobody fixed or broke: the target's
// name (an image's tag or digest), the hostname, the collector, the line
// (lines move), and what the policy wants (a tailored threshold).
func (f *Finding) BaselineKey() string {
	h := sha256.New()
	for _, s := range []string{f.Bundle, f.PolicyID, f.Path, Evidence(f)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

var (
	// wanted matches the parenthesised clauses that say what a policy
	// allows or wants: "(allowed: ssh-ed25519, …)", "(want 4 or less)".
	wanted = regexp.MustCompile(`\s*\((?:allowed|want|expected)\b[^)]*\)`)
	spaces = regexp.MustCompile(`\s+`)
)

// Evidence is what a finding observed about the target, without what its
// policy expected: the "evidence" string a rule returned, when it returned
// one; otherwise the message up to its first "; " (assay's messages say
// "what is; what is wanted": `MaxAuthTries is 6; want 4 or less`), without
// parenthesised clauses that start with "allowed", "want" or "expected".
// Runs of white space count as one space.
func Evidence(f *Finding) string {
	if e, ok := f.Details["evidence"].(string); ok && strings.TrimSpace(e) != "" {
		return strings.TrimSpace(spaces.ReplaceAllString(e, " "))
	}
	m, _, _ := strings.Cut(f.Message, "; ")
	m = wanted.ReplaceAllString(m, "")
	return strings.TrimSpace(spaces.ReplaceAllString(m, " "))
}

// Comparison splits two reports' findings: New are the later report's
// findings the earlier did not have, Unchanged those it had (as the later
// report has them), Fixed the earlier report's findings the later no longer
// has. Findings are matched by BaselineKey, as many times as they occur:
// a key found twice before and three times now is two unchanged findings
// and one new one (the last of the three in report order).
type Comparison struct {
	New, Unchanged, Fixed []Finding
}

// Compare compares the findings of an earlier and a later report.
func Compare(earlier, later []Finding) Comparison {
	unchanged, fixed := match(earlier, later)
	c := Comparison{New: []Finding{}, Unchanged: []Finding{}, Fixed: fixed}
	for i := range later {
		if unchanged[i] {
			c.Unchanged = append(c.Unchanged, later[i])
		} else {
			c.New = append(c.New, later[i])
		}
	}
	return c
}

// MarkBaseline marks every finding of r new or unchanged against the
// earlier report and records the comparison in r.Baseline; file is where
// the earlier report was read from.
func MarkBaseline(r *Report, earlier *Report, file string) {
	unchanged, fixed := match(earlier.Findings, r.Findings)
	b := &Baseline{File: file, Tool: earlier.Tool, Target: earlier.Target, StartedAt: earlier.StartedAt,
		FixedFindings: fixed, Fixed: len(fixed)}
	for i := range r.Findings {
		if unchanged[i] {
			r.Findings[i].Baseline = BaselineUnchanged
			b.Unchanged++
		} else {
			r.Findings[i].Baseline = BaselineNew
			b.New++
		}
	}
	r.Baseline = b
}

// match says which of the later findings the earlier ones already held,
// and lists the earlier findings left over (fixed), in report order.
func match(earlier, later []Finding) (unchanged []bool, fixed []Finding) {
	keys := make([]string, len(earlier)) // each key costs a regexp pass and a hash: once
	left := map[string]int{}
	for i := range earlier {
		keys[i] = earlier[i].BaselineKey()
		left[keys[i]]++
	}
	unchanged = make([]bool, len(later))
	for i := range later {
		if k := later[i].BaselineKey(); left[k] > 0 {
			left[k]--
			unchanged[i] = true
		}
	}
	fixed = []Finding{}
	for i := len(earlier) - 1; i >= 0; i-- { // the last ones of a key are the fixed ones
		if k := keys[i]; left[k] > 0 {
			left[k]--
			fixed = append(fixed, earlier[i])
		}
	}
	sort.SliceStable(fixed, func(i, j int) bool { return less(&fixed[i], &fixed[j]) })
	return unchanged, fixed
}
