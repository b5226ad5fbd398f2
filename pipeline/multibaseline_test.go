package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

func section(name string, findings ...report.Finding) report.TargetResult {
	r := &report.Report{SchemaVersion: report.SchemaVersion, Target: target.Info{Kind: target.KindSSH, Name: name}, Findings: findings}
	return report.TargetResult{Report: r, Status: report.TargetOK}
}

func finding(policy, path, msg string) report.Finding {
	return report.Finding{Bundle: "b", PolicyID: policy, Kind: report.Deny, Enforcement: report.Mandatory,
		Severity: report.SeverityHigh, Path: path, Message: msg}
}

// A multi-target run is compared target by target: web-1's finding is
// unchanged only against web-1's section of the baseline, db-1 was not in
// the baseline (all new), and cache-1 is gone (fixed).
func TestMultiTargetBaseline(t *testing.T) {
	root := finding("root-login", "/etc/ssh/sshd_config", "PermitRootLogin is yes")
	pw := finding("password-auth", "/etc/ssh/sshd_config", "PasswordAuthentication is yes")
	old := &SavedReport{Path: "old.json", Report: &report.Report{SchemaVersion: report.MultiSchemaVersion,
		Targets: []report.TargetResult{section("ssh://web-1:22", root), section("ssh://cache-1:22", pw)}}}
	cur := &SavedReport{Path: "new.json", Report: &report.Report{SchemaVersion: report.MultiSchemaVersion,
		Targets: []report.TargetResult{section("ssh://web-1:22", root, pw), section("ssh://db-1:22", root)}}}

	if got := old.For("ssh://web-1:22").Report.Findings; len(got) != 1 || got[0].PolicyID != "root-login" {
		t.Errorf("For(web-1) = %v, want web-1's section", got)
	}
	if got := old.For("ssh://db-1:22").Report.Findings; len(got) != 0 {
		t.Errorf("For(db-1) = %v, want an empty baseline", got)
	}
	single := &SavedReport{Report: &report.Report{Findings: []report.Finding{root}}}
	if single.For("anything") != single {
		t.Error("a single-target baseline applies whole to every target")
	}
	var none *SavedReport
	if none.For("x") != nil {
		t.Error("no baseline gives none")
	}

	c := compareSections(old, cur)
	// web-1: root unchanged, pw new; db-1: root new; cache-1: pw fixed.
	if len(c.Unchanged) != 1 || len(c.New) != 2 || len(c.Fixed) != 1 {
		t.Fatalf("new %d, unchanged %d, fixed %d; want 2, 1, 1", len(c.New), len(c.Unchanged), len(c.Fixed))
	}
	if c.Fixed[0].PolicyID != "password-auth" {
		t.Errorf("fixed %v, want cache-1's password-auth", c.Fixed[0])
	}
}

// Only the targets that were scanned and checked nothing are named; a
// report where every target checked something has nothing to say, and a
// failed target speaks for itself.
func TestNothingCheckedMultiTarget(t *testing.T) {
	checked := section("ssh://web-1:22")
	checked.Report.Policies = []report.PolicyResult{{Bundle: "b", ID: "p", Status: report.StatusPass}}
	empty := section("ssh://db-1:22")
	empty.Report.Policies = []report.PolicyResult{{Bundle: "b", ID: "p", Status: report.StatusSkip, SkipReason: "no document to judge"}}
	failed := report.TargetResult{Report: &report.Report{Target: target.Info{Name: "ssh://down:22"}}, Status: report.TargetFailed, Error: "connection refused"}

	r := &report.Report{Targets: []report.TargetResult{checked, failed}}
	if err := nothingCheckedIn(r); err != nil {
		t.Errorf("every scanned target checked something: %v", err)
	}
	r.Targets = append(r.Targets, empty)
	err := nothingCheckedIn(r)
	if !errors.Is(err, ErrNothingChecked) || !strings.Contains(err.Error(), "ssh://db-1:22: nothing was checked") || strings.Contains(err.Error(), "down") || strings.Contains(err.Error(), "web-1") {
		t.Errorf("got %v, want db-1 named alone", err)
	}
}
