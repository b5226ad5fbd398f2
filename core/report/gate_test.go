package report

import (
	"fmt"
	"testing"

	"github.com/assay-dev/assay/core/exitcode"
)

func TestGate(t *testing.T) {
	deny := Finding{Bundle: "b", PolicyID: "p", Kind: Deny, Severity: SeverityHigh, Enforcement: Mandatory}
	waived := deny
	waived.Waived = &Waiver{ID: "w"}
	expired := deny
	expired.WaiverExpired = &ExpiredWaiver{ID: "w", Expired: "2020-01-01"}
	unchanged := deny
	unchanged.Baseline = BaselineUnchanged
	fresh := deny
	fresh.Baseline = BaselineNew
	pass := PolicyResult{Bundle: "b", ID: "p", Status: StatusPass}
	skip := PolicyResult{Bundle: "b", ID: "q", Status: StatusSkip}
	for _, tc := range []struct {
		name     string
		gate     Gate
		findings []Finding
		policies []PolicyResult
		want     int
	}{
		{"a violation fails", Gate{}, []Finding{deny}, []PolicyResult{pass}, exitcode.Violations},
		{"a waived one does not", Gate{}, []Finding{waived}, []PolicyResult{pass}, exitcode.Clean},
		{"an expired waiver counts again", Gate{}, []Finding{expired}, []PolicyResult{pass}, exitcode.Violations},
		{"one in the baseline does not", Gate{}, []Finding{unchanged}, []PolicyResult{pass}, exitcode.Clean},
		{"a new one does", Gate{}, []Finding{unchanged, fresh}, []PolicyResult{pass}, exitcode.Violations},
		{"all skipped passes without FailEmpty", Gate{}, nil, []PolicyResult{skip}, exitcode.Clean},
		{"all skipped fails with FailEmpty", Gate{FailEmpty: true}, nil, []PolicyResult{skip}, exitcode.ScanFailed},
		{"no policy fails with FailEmpty", Gate{FailEmpty: true}, nil, nil, exitcode.ScanFailed},
		{"one checked is enough", Gate{FailEmpty: true}, nil, []PolicyResult{skip, pass}, exitcode.Clean},
		{"FailEmpty holds with --fail-on none", Gate{FailEmpty: true, Disabled: true}, nil, []PolicyResult{skip}, exitcode.ScanFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{Findings: tc.findings, Policies: tc.policies}
			if got := tc.gate.ExitCode(r); got != tc.want {
				t.Errorf("exit code %d, want %d", got, tc.want)
			}
			if n := tc.gate.FailingCount(r); (n > 0) != (tc.want == exitcode.Violations) {
				t.Errorf("FailingCount %d with exit code %d", n, tc.want)
			}
		})
	}
}

// TestSettleWaived: a policy is waived only when all its findings are.
func TestSettleWaived(t *testing.T) {
	w := &Waiver{ID: "w"}
	r := &Report{
		Policies: []PolicyResult{
			{Bundle: "b", ID: "all", Status: StatusFail},
			{Bundle: "b", ID: "some", Status: StatusFail},
			{Bundle: "b", ID: "warn-left", Status: StatusFail},
			{Bundle: "b", ID: "err", Status: StatusError},
			{Bundle: "b", ID: "clean", Status: StatusPass},
		},
		Findings: []Finding{
			{Bundle: "b", PolicyID: "all", Kind: Deny, Waived: w},
			{Bundle: "b", PolicyID: "all", Kind: Warn, Waived: w},
			{Bundle: "b", PolicyID: "some", Kind: Deny, Waived: w},
			{Bundle: "b", PolicyID: "some", Kind: Deny},
			{Bundle: "b", PolicyID: "warn-left", Kind: Deny, Waived: w},
			{Bundle: "b", PolicyID: "warn-left", Kind: Warn},
			{Bundle: "b", PolicyID: "err", Kind: Deny, Waived: w},
		},
	}
	r.SettleWaived()
	want := map[string]struct {
		status Status
		waived int
	}{"all": {StatusWaived, 2}, "some": {StatusFail, 1}, "warn-left": {StatusWarn, 1}, "err": {StatusError, 0}, "clean": {StatusPass, 0}}
	for _, p := range r.Policies {
		if w := want[p.ID]; p.Status != w.status || p.Waived != w.waived {
			t.Errorf("%s: %s with %d waived, want %s with %d", p.ID, p.Status, p.Waived, w.status, w.waived)
		}
	}
}

// BenchmarkGate is what an exporter's summary asks of the gate over a
// scan of 100,000 mandatory violations: the exit code and how many fail.
func BenchmarkGate(b *testing.B) {
	r := &Report{Findings: make([]Finding, 100_000)}
	for i := range r.Findings {
		r.Findings[i] = Finding{Bundle: "files", PolicyID: fmt.Sprintf("p%03d", i%200), Kind: Deny, Severity: Severity(i % 5),
			Enforcement: Mandatory, Path: fmt.Sprintf("/srv/%d", i), Message: fmt.Sprintf("finding %d", i)}
	}
	for b.Loop() {
		Gate{}.ExitCode(r)
		Gate{}.FailingCount(r)
	}
}
