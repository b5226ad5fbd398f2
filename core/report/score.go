package report

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
)

// Weight is what one policy of severity s weighs in a score: critical 10,
// high 5, medium 3, low 1, info 0 (docs/waivers.md#scores).
func Weight(s Severity) int {
	switch s {
	case SeverityCritical:
		return 10
	case SeverityHigh:
		return 5
	case SeverityMedium:
		return 3
	case SeverityLow:
		return 1
	}
	return 0
}

// Scores are a report's compliance scores, per bundle and overall, and its
// roll-up of outcomes per control and per framework.
type Scores struct {
	Overall    Score            `json:"overall"`
	Bundles    []Score          `json:"bundles"`
	Frameworks []FrameworkTally `json:"frameworks"`
	Controls   []ControlStatus  `json:"controls"`
}

// Score is the weighted share of applicable policies that passed: passed
// and waived policies over passed, waived, warning, failing and erring
// ones, each weighing Weight(severity); skipped policies are left out.
type Score struct {
	// Bundle names the bundle; empty for the overall score.
	Bundle string `json:"bundle,omitempty"`
	// Score is 100 × PassedWeight / ApplicableWeight, rounded to one
	// decimal; null when the applicable policies weigh nothing (none
	// applied, or only info ones).
	Score            *float64 `json:"score"`
	PassedWeight     int      `json:"passed_weight"`
	ApplicableWeight int      `json:"applicable_weight"`
	// Policies counts the policies by status.
	Policies Tally `json:"policies"`
}

// Tally counts outcomes by status.
type Tally struct {
	Pass   int `json:"pass"`
	Waived int `json:"waived"`
	Warn   int `json:"warn"`
	Fail   int `json:"fail"`
	Error  int `json:"error"`
	Skip   int `json:"skip"`
}

// Add counts one outcome; an unknown status is not counted.
func (t *Tally) Add(s Status) {
	switch s {
	case StatusPass:
		t.Pass++
	case StatusWaived:
		t.Waived++
	case StatusWarn:
		t.Warn++
	case StatusFail:
		t.Fail++
	case StatusError:
		t.Error++
	case StatusSkip:
		t.Skip++
	}
}

// FrameworkTally counts the controls of one framework by status.
type FrameworkTally struct {
	Framework string `json:"framework"`
	Controls  int    `json:"controls"`
	Tally
}

// ControlStatus is one control's outcome: the worst status of the
// policies that name it (error, fail, warn, waived, pass), skip only when
// every one of them was skipped.
type ControlStatus struct {
	Control   string `json:"control"`
	Framework string `json:"framework"`
	Status    Status `json:"status"`
	// Policies are the policies naming the control, as BUNDLE/POLICY.
	Policies []string `json:"policies"`
}

// statusOrder lists the policy statuses from worst to best for roll-ups;
// skip comes last, so that a skipped policy never hides another's outcome.
var statusOrder = []Status{StatusError, StatusFail, StatusWarn, StatusWaived, StatusPass, StatusSkip}

// Statuses lists the policy statuses from worst to best, the order of
// roll-ups (CompareStatus).
func Statuses() []Status { return slices.Clone(statusOrder) }

// CompareStatus orders statuses for roll-ups: negative when a ranks worse
// than b, positive when better, 0 when the same. An unknown status ranks
// after every known one.
func CompareStatus(a, b Status) int { return cmp.Compare(statusRank(a), statusRank(b)) }

// Worse reports whether status a ranks worse than b in a roll-up.
func Worse(a, b Status) bool { return CompareStatus(a, b) < 0 }

func statusRank(s Status) int {
	if i := slices.Index(statusOrder, s); i >= 0 {
		return i
	}
	return len(statusOrder)
}

// Framework is the framework a control belongs to: the text before a
// colon when there is one ("NIST-800-53:AC-2" → "NIST-800-53"), else the
// text before the first "-" ("CIS-5.2.8" → "CIS"), else the whole name.
func Framework(control string) string {
	if i := strings.IndexByte(control, ':'); i > 0 {
		return control[:i]
	}
	if i := strings.IndexByte(control, '-'); i > 0 {
		return control[:i]
	}
	return control
}

// applicable reports whether a policy of this status enters a score.
func applicable(s Status) bool {
	switch s {
	case StatusPass, StatusWaived, StatusWarn, StatusFail, StatusError:
		return true
	}
	return false
}

// ComputeScores scores the report's policies, with their statuses as they
// stand (waivers settled).
func ComputeScores(r *Report) *Scores {
	s := &Scores{Bundles: []Score{}, Frameworks: []FrameworkTally{}, Controls: []ControlStatus{}}
	bundles := map[string]*Score{}
	controls := map[string]*ControlStatus{}
	for _, p := range r.Policies {
		b := bundles[p.Bundle]
		if b == nil {
			b = &Score{Bundle: p.Bundle}
			bundles[p.Bundle] = b
		}
		for _, sc := range []*Score{&s.Overall, b} {
			sc.Policies.Add(p.Status)
			if applicable(p.Status) {
				w := Weight(p.Severity)
				sc.ApplicableWeight += w
				if p.Status == StatusPass || p.Status == StatusWaived {
					sc.PassedWeight += w
				}
			}
		}
		seen := map[string]bool{}
		for _, c := range p.Controls {
			if c == "" || seen[c] {
				continue
			}
			seen[c] = true
			cs := controls[c]
			if cs == nil {
				cs = &ControlStatus{Control: c, Framework: Framework(c), Status: p.Status}
				controls[c] = cs
			} else if Worse(p.Status, cs.Status) {
				cs.Status = p.Status
			}
			cs.Policies = append(cs.Policies, p.Bundle+"/"+p.ID)
		}
	}
	s.Overall.finish()
	for _, name := range sortedKeys(bundles) {
		b := bundles[name]
		b.finish()
		s.Bundles = append(s.Bundles, *b)
	}
	frameworks := map[string]*FrameworkTally{}
	for _, name := range sortedKeys(controls) {
		c := controls[name]
		sort.Strings(c.Policies)
		s.Controls = append(s.Controls, *c)
		f := frameworks[c.Framework]
		if f == nil {
			f = &FrameworkTally{Framework: c.Framework}
			frameworks[c.Framework] = f
		}
		f.Controls++
		f.Add(c.Status)
	}
	for _, name := range sortedKeys(frameworks) {
		s.Frameworks = append(s.Frameworks, *frameworks[name])
	}
	return s
}

func (s *Score) finish() {
	if s.ApplicableWeight == 0 {
		return
	}
	v := math.Round(1000*float64(s.PassedWeight)/float64(s.ApplicableWeight)) / 10
	s.Score = &v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
