package report

import (
	"cmp"
	"reflect"
	"slices"
	"testing"
)

// scoreFixture is the report the score tests compute by hand.
func scoreFixture() *Report {
	pol := func(bundle, id string, sev Severity, enf Enforcement, st Status, controls ...string) PolicyResult {
		return PolicyResult{Bundle: bundle, ID: id, Severity: sev, Enforcement: enf, Status: st, Controls: controls}
	}
	return &Report{Policies: []PolicyResult{
		pol("a", "p1", SeverityCritical, Mandatory, StatusPass, "CIS-1.1", "NIST-800-53:AC-2"),
		pol("a", "p2", SeverityHigh, Mandatory, StatusFail, "CIS-1.1"),
		pol("a", "p3", SeverityMedium, Mandatory, StatusWaived, "CIS-1.2"),
		pol("a", "p4", SeverityLow, Mandatory, StatusWarn, "devsec-01"),
		pol("a", "p5", SeverityInfo, Mandatory, StatusPass),
		pol("a", "p6", SeverityHigh, Mandatory, StatusSkip, "CIS-1.2"),
		pol("a", "p7", SeverityMedium, Mandatory, StatusError, "NIST-800-53:AC-3"),
		pol("b", "q1", SeverityHigh, Advisory, StatusPass, "NIST-800-53:AC-2"),
		pol("b", "q2", SeverityLow, Advisory, StatusFail),
		pol("c", "r1", SeverityInfo, Mandatory, StatusPass),
		pol("c", "r2", SeverityCritical, Mandatory, StatusSkip, "CIS-1.3"),
	}}
}

func pct(v float64) *float64 { return &v }

// TestScores compares the scores with values computed by hand. Weights:
// critical 10, high 5, medium 3, low 1, info 0; passed = pass + waived;
// applicable = pass, waived, warn, fail, error; skip left out; advisory
// weighs as mandatory.
func TestScores(t *testing.T) {
	s := ComputeScores(scoreFixture())
	for _, tc := range []struct {
		name               string
		got                Score
		passed, applicable int
		score              *float64
		policies           Tally
	}{
		// a: applicable p1 10 + p2 5 + p3 3 + p4 1 + p5 0 + p7 3 = 22
		//    (p6 skipped); passed p1 10 + p3 3 (waived) + p5 0 = 13;
		//    13/22 = 0.590909… → 59.1
		{"a", s.Bundles[0], 13, 22, pct(59.1), Tally{Pass: 2, Waived: 1, Warn: 1, Fail: 1, Error: 1, Skip: 1}},
		// b (advisory, weighed as mandatory): q1 5 passed, q2 1 failed;
		//    5/6 = 0.8333… → 83.3
		{"b", s.Bundles[1], 5, 6, pct(83.3), Tally{Pass: 1, Fail: 1}},
		// c: r1 is info (0), r2 skipped: nothing weighs, no score.
		{"c", s.Bundles[2], 0, 0, nil, Tally{Pass: 1, Skip: 1}},
		// overall: passed 13 + 5 + 0 = 18 of 22 + 6 + 0 = 28;
		//    18/28 = 0.642857… → 64.3
		{"overall", s.Overall, 18, 28, pct(64.3), Tally{Pass: 4, Waived: 1, Warn: 1, Fail: 2, Error: 1, Skip: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.got
			if g.PassedWeight != tc.passed || g.ApplicableWeight != tc.applicable {
				t.Errorf("weights %d/%d, want %d/%d", g.PassedWeight, g.ApplicableWeight, tc.passed, tc.applicable)
			}
			if (g.Score == nil) != (tc.score == nil) || g.Score != nil && *g.Score != *tc.score {
				t.Errorf("score %v, want %v", deref(g.Score), deref(tc.score))
			}
			if g.Policies != tc.policies {
				t.Errorf("policies %+v, want %+v", g.Policies, tc.policies)
			}
			if tc.name != "overall" && g.Bundle != tc.name {
				t.Errorf("bundle %q, want %q", g.Bundle, tc.name)
			}
		})
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestControls checks the roll-up per control and framework against the
// worst status of the policies naming each control, by hand:
//
//	CIS-1.1           p1 pass, p2 fail          → fail
//	CIS-1.2           p3 waived, p6 skip        → waived (a skip hides nothing)
//	CIS-1.3           r2 skip                   → skip
//	NIST-800-53:AC-2  p1 pass, q1 pass          → pass
//	NIST-800-53:AC-3  p7 error                  → error
//	devsec-01         p4 warn                   → warn
func TestControls(t *testing.T) {
	s := ComputeScores(scoreFixture())
	want := []ControlStatus{
		{Control: "CIS-1.1", Framework: "CIS", Status: StatusFail, Policies: []string{"a/p1", "a/p2"}},
		{Control: "CIS-1.2", Framework: "CIS", Status: StatusWaived, Policies: []string{"a/p3", "a/p6"}},
		{Control: "CIS-1.3", Framework: "CIS", Status: StatusSkip, Policies: []string{"c/r2"}},
		{Control: "NIST-800-53:AC-2", Framework: "NIST-800-53", Status: StatusPass, Policies: []string{"a/p1", "b/q1"}},
		{Control: "NIST-800-53:AC-3", Framework: "NIST-800-53", Status: StatusError, Policies: []string{"a/p7"}},
		{Control: "devsec-01", Framework: "devsec", Status: StatusWarn, Policies: []string{"a/p4"}},
	}
	if !reflect.DeepEqual(s.Controls, want) {
		t.Errorf("controls\n got %+v\nwant %+v", s.Controls, want)
	}
	wantFW := []FrameworkTally{
		{Framework: "CIS", Controls: 3, Tally: Tally{Fail: 1, Waived: 1, Skip: 1}},
		{Framework: "NIST-800-53", Controls: 2, Tally: Tally{Pass: 1, Error: 1}},
		{Framework: "devsec", Controls: 1, Tally: Tally{Warn: 1}},
	}
	if !reflect.DeepEqual(s.Frameworks, wantFW) {
		t.Errorf("frameworks\n got %+v\nwant %+v", s.Frameworks, wantFW)
	}
}

func TestFramework(t *testing.T) {
	for in, want := range map[string]string{
		"CIS-5.2.8": "CIS", "CIS-Debian12-5.1.4": "CIS", "NIST-800-53:AC-2": "NIST-800-53",
		"devsec-sshd-06": "devsec", "PCI": "PCI", "-x": "-x", ":x": ":x",
	} {
		if got := Framework(in); got != want {
			t.Errorf("Framework(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStatusOrder: roll-ups rank error worst and skip last, and an unknown
// status after every known one.
func TestStatusOrder(t *testing.T) {
	want := []Status{StatusError, StatusFail, StatusWarn, StatusWaived, StatusPass, StatusSkip}
	if got := Statuses(); !slices.Equal(got, want) {
		t.Fatalf("Statuses() = %v, want %v", got, want)
	}
	for i := range want {
		for j := range want {
			if got := CompareStatus(want[i], want[j]); cmp.Compare(i, j) != got {
				t.Errorf("CompareStatus(%s, %s) = %d, want %d", want[i], want[j], got, cmp.Compare(i, j))
			}
			if Worse(want[i], want[j]) != (i < j) {
				t.Errorf("Worse(%s, %s) = %v", want[i], want[j], !(i < j))
			}
		}
		if !Worse(want[i], "bogus") {
			t.Errorf("Worse(%s, bogus) = false: an unknown status must rank last", want[i])
		}
	}
	Statuses()[0] = StatusPass
	if Statuses()[0] != StatusError {
		t.Error("Statuses returns the package's own slice")
	}
}
