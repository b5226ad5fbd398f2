// Package reporttest provides fixed reports for exporter tests, so every
// format is checked against the same cases: findings of every severity and
// kind, a policy error, collector failures and skips, and an empty scan.
package reporttest

import (
	"time"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

// Sample returns a report with a bit of everything.
func Sample() *report.Report {
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "assay", Version: "1.2.3"},
		Target:        target.Info{Kind: target.KindHost, Name: "/"},
		Host:          "web-1",
		StartedAt:     time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC),
		Bundles: []report.Bundle{
			{Name: "ssh-baseline", Version: "1.0.0", Source: "policies/ssh-baseline", Description: "OpenSSH server hardening"},
			{Name: "authorized-keys", Version: "0.3.0", Source: "policies/authorized-keys"},
		},
		Collectors: []report.CollectorResult{
			{Bundle: "ssh-baseline", Kind: "sshd_config", Name: "main", Status: report.CollectorOK, Documents: 1, DurationSeconds: 0.004},
			{Bundle: "authorized-keys", Kind: "file", Name: "keys", Status: report.CollectorOK, Documents: 3, DurationSeconds: 0.02,
				Skipped: []report.Skip{{Path: "/home/bob/.ssh/authorized_keys", Reason: "permission denied"}}, SkippedTotal: 2},
			{Bundle: "authorized-keys", Kind: "file", Name: "slow", Status: report.CollectorTimeout, Error: "did not finish within 5m0s", DurationSeconds: 300},
		},
		Policies: []report.PolicyResult{
			{Bundle: "authorized-keys", ID: "key-types", Title: "Only approved key types", Severity: report.SeverityMedium, Enforcement: report.Mandatory, Status: report.StatusFail, Documents: 3, Findings: 1, Source: "policies/authorized-keys/bundle.hcl:20"},
			{Bundle: "authorized-keys", ID: "options", Title: "Key options are restricted", Severity: report.SeverityLow, Enforcement: report.Advisory, Status: report.StatusWarn, Documents: 3, Findings: 1},
			{Bundle: "authorized-keys", ID: "broken", Title: "A policy that fails to evaluate", Severity: report.SeverityHigh, Enforcement: report.Mandatory, Status: report.StatusError, Error: "eval_conflict_error: functions must not produce multiple outputs for same inputs"},
			{Bundle: "ssh-baseline", ID: "password-auth", Title: "Password authentication is disabled", Severity: report.SeverityHigh, Enforcement: report.Mandatory,
				Controls: []string{"CIS-5.2.12"}, Remediation: "Set `PasswordAuthentication no` in sshd_config.", Status: report.StatusFail, Documents: 1, Findings: 1},
			{Bundle: "ssh-baseline", ID: "root-login", Title: "Root cannot log in", Severity: report.SeverityCritical, Enforcement: report.Mandatory, Status: report.StatusPass, Documents: 1},
			{Bundle: "ssh-baseline", ID: "banner", Title: "A banner is shown", Severity: report.SeverityInfo, Enforcement: report.Advisory, Status: report.StatusSkip},
		},
		Findings: []report.Finding{
			{Bundle: "ssh-baseline", PolicyID: "password-auth", Title: "Password authentication is disabled", Kind: report.Deny,
				Severity: report.SeverityHigh, Enforcement: report.Mandatory, Controls: []string{"CIS-5.2.12"},
				Message: "PasswordAuthentication is yes", Remediation: "Set `PasswordAuthentication no` in sshd_config.",
				Target: "/", Collector: "sshd_config.main", Path: "/etc/ssh/sshd_config", Line: 57},
			{Bundle: "authorized-keys", PolicyID: "key-types", Title: "Only approved key types", Kind: report.Deny,
				Severity: report.SeverityMedium, Enforcement: report.Mandatory,
				Message: "ssh-dss key is not an allowed type", Target: "/", Collector: "file.keys", Path: "/root/.ssh/authorized_keys", Line: 3,
				Details: map[string]any{"key_type": "ssh-dss"}},
			{Bundle: "authorized-keys", PolicyID: "options", Title: "Key options are restricted", Kind: report.Warn,
				Severity: report.SeverityLow, Enforcement: report.Advisory,
				Message: "key has no from= restriction", Target: "/", Collector: "file.keys", Path: "/home/alice/.ssh/authorized_keys", Line: 1},
		},
		Timings:   report.Timings{TotalSeconds: 0.125, CollectSeconds: 0.1, EvaluateSeconds: 0.025},
		Documents: 4,
	}
	for i := range r.Findings {
		r.Findings[i].ComputeFingerprint()
	}
	r.Sort()
	return r
}

// Empty returns a clean scan with one passing policy and no findings.
func Empty() *report.Report {
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "assay", Version: "1.2.3"},
		Target:        target.Info{Kind: target.KindImage, Name: "registry.example/app:1.0", Digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		StartedAt:     time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC),
		Bundles:       []report.Bundle{{Name: "ssh-baseline", Version: "1.0.0", Source: "policies/ssh-baseline"}},
		Collectors:    []report.CollectorResult{{Bundle: "ssh-baseline", Kind: "sshd_config", Name: "main", Status: report.CollectorOK, Documents: 1}},
		Policies: []report.PolicyResult{{Bundle: "ssh-baseline", ID: "root-login", Title: "Root cannot log in", Severity: report.SeverityCritical,
			Enforcement: report.Mandatory, Status: report.StatusPass, Documents: 1}},
		Timings:   report.Timings{TotalSeconds: 0.01},
		Documents: 1,
	}
}
