package report

import "github.com/assay-dev/assay/core/exitcode"

// Gate decides whether findings fail a CI run.
type Gate struct {
	// FailOn is the lowest severity that fails the gate.
	FailOn Severity
	// Disabled reports findings but never fails (--fail-on none).
	Disabled bool
	// AllowFailedTargets keeps a target that could not be scanned from
	// failing a multi-target run (--allow-failed-targets); it is still
	// reported, with its reason.
	AllowFailedTargets bool
	// FailEmpty makes a run that checked nothing fail (exit code 3): every
	// policy skipped, as when a scan's target holds none of what the
	// bundles look at. assay scan sets it unless --allow-empty.
	FailEmpty bool
}

// FailingCount counts the findings that fail the gate: mandatory
// violations (deny, not warn) at or above FailOn, neither waived nor
// already in the baseline (Finding.Accepted), over every section of a
// multi-target report. Every caller wants the number, and a large scan has
// 100,000 findings: they are counted, not copied.
func (g Gate) FailingCount(r *Report) int {
	n := 0
	for _, s := range r.Sections() {
		for i := range s.Findings {
			if g.fails(&s.Findings[i]) {
				n++
			}
		}
	}
	return n
}

// fails reports whether f fails the gate (FailingCount).
func (g Gate) fails(f *Finding) bool {
	return !g.Disabled && f.Kind == Deny && f.Enforcement == Mandatory && f.Severity >= g.FailOn && !f.Accepted()
}

// ExitCode is the process exit code the report deserves under the gate. A
// policy that could not be evaluated makes the scan fail (3): a half-judged
// result must never pass as clean; with FailEmpty, so does a run that
// checked nothing. A multi-target report gets the worst code of its
// targets, a failed target counting as 3 unless AllowFailedTargets.
func (g Gate) ExitCode(r *Report) int {
	if !r.Multi() {
		return g.exitCode(r)
	}
	worst := exitcode.Clean
	for i := range r.Targets {
		worst = max(worst, g.TargetExitCode(&r.Targets[i]))
	}
	return worst
}

// TargetExitCode is the exit code one section deserves on its own.
func (g Gate) TargetExitCode(t *TargetResult) int {
	if t.Status == TargetFailed {
		if g.AllowFailedTargets {
			return exitcode.Clean
		}
		return exitcode.ScanFailed
	}
	if t.Report == nil {
		return exitcode.Clean
	}
	return g.exitCode(t.Report)
}

func (g Gate) exitCode(r *Report) int {
	for i := range r.Findings { // the first failing finding settles it
		if g.fails(&r.Findings[i]) {
			return exitcode.Violations
		}
	}
	for _, p := range r.Policies {
		if p.Status == StatusError {
			return exitcode.ScanFailed
		}
	}
	if g.FailEmpty && r.NothingChecked() {
		return exitcode.ScanFailed
	}
	return exitcode.Clean
}
