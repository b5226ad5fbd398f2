package report

import (
	"testing"

	"github.com/assay-dev/assay/core/exitcode"
)

func TestGateMultiTarget(t *testing.T) {
	clean := &Report{}
	violating := &Report{Findings: []Finding{{Kind: Deny, Enforcement: Mandatory, Severity: SeverityHigh}}}
	broken := &Report{Policies: []PolicyResult{{Status: StatusError}}}
	section := func(r *Report, s TargetStatus) TargetResult { return TargetResult{Report: r, Status: s} }
	tests := []struct {
		name    string
		targets []TargetResult
		gate    Gate
		want    int
	}{
		{"all clean", []TargetResult{section(clean, TargetOK), section(clean, TargetOK)}, Gate{}, exitcode.Clean},
		{"one violating", []TargetResult{section(clean, TargetOK), section(violating, TargetOK)}, Gate{}, exitcode.Violations},
		{"a failed target is worse than violations", []TargetResult{section(violating, TargetOK), section(&Report{}, TargetFailed)}, Gate{}, exitcode.ScanFailed},
		{"a failed target allowed", []TargetResult{section(violating, TargetOK), section(&Report{}, TargetFailed)}, Gate{AllowFailedTargets: true}, exitcode.Violations},
		{"only failed targets, allowed", []TargetResult{section(&Report{}, TargetFailed)}, Gate{AllowFailedTargets: true}, exitcode.Clean},
		{"a policy error on one target", []TargetResult{section(clean, TargetOK), section(broken, TargetOK)}, Gate{}, exitcode.ScanFailed},
		{"gate disabled", []TargetResult{section(violating, TargetOK)}, Gate{Disabled: true}, exitcode.Clean},
		{"no targets", []TargetResult{}, Gate{}, exitcode.Clean},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Targets: tt.targets}
			if got := tt.gate.ExitCode(r); got != tt.want {
				t.Errorf("ExitCode = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSectionsAndCounts(t *testing.T) {
	a := &Report{Findings: []Finding{{Severity: SeverityHigh}}}
	b := &Report{Findings: []Finding{{Severity: SeverityHigh}, {Severity: SeverityLow}}}
	r := &Report{Targets: []TargetResult{{Report: a, Status: TargetOK}, {Report: b, Status: TargetOK}, {Status: TargetFailed}}}
	if !r.Multi() || len(r.Sections()) != 2 {
		t.Fatalf("Multi %v, sections %d", r.Multi(), len(r.Sections()))
	}
	if c := r.Counts(); c[SeverityHigh] != 2 || c[SeverityLow] != 1 {
		t.Errorf("Counts = %v", c)
	}
	if got := (Gate{}).FailingCount(r); got != 0 {
		t.Errorf("FailingCount = %d, want 0 (advisory)", got)
	}
	b.Findings[1].Kind, b.Findings[1].Enforcement = Deny, Mandatory
	if n := (Gate{}).FailingCount(r); n != 1 {
		t.Errorf("FailingCount = %d, want 1 (the mandatory one of the second section)", n)
	}
	if one := r.Only(1); len(one.Targets) != 1 || one.Targets[0].Report != b || r.FailedTargets() != 1 {
		t.Errorf("Only(1) = %+v", one.Targets)
	}
	single := &Report{}
	if single.Multi() || len(single.Sections()) != 1 {
		t.Errorf("a single-target report: Multi %v, %d sections", single.Multi(), len(single.Sections()))
	}
}
