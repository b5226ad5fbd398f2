// Package exportertest holds what the exporters' tests share: the sample
// reports every format is checked on (findings of every severity and kind,
// network facts, awkward paths, every collector status, a clean and an empty
// scan), the checks every exporter owes its caller, and the lookup of the
// project's shared schemas.
package exportertest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/internal/testenv"
)

// Started is the fixed start time of the sample reports other than Sample
// and SampleEmpty, whose golden files were made with their own.
var Started = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// Case is a named sample report.
type Case struct {
	Name   string
	Report *report.Report
}

// Cases returns fresh sample reports: a host with violations of every kind
// and network facts, a clean image, an image with hostile entries the target
// skipped, a root filesystem with awkward paths, a zero report, the Sample
// report of the JSON and table golden files, a compliance program's scan
// and a multi-target run. SampleEmpty is not one of them: it is a clean
// image scan with one passing policy, as CleanImage is.
func Cases() []Case {
	return []Case{
		{"violations", Violations()},
		{"clean-image", CleanImage()},
		{"image-skips", ImageSkips()},
		{"root-paths", RootPaths()},
		{"empty", &report.Report{}},
		{"sample", Sample()},
		{"compliance", Compliance()},
		{"multi-target", MultiTarget()},
	}
}

// MultiTarget is a run over three SSH targets: one with Sample's findings,
// one clean, and one that could not be scanned (its host key unknown).
func MultiTarget() *report.Report {
	web := Sample()
	web.Target = target.Info{Kind: target.KindSSH, Name: "ssh://root@web-1:22"}
	for i := range web.Findings {
		web.Findings[i].Target = web.Target.Name
		web.Findings[i].ComputeFingerprint()
	}
	db := SampleEmpty()
	db.Target = target.Info{Kind: target.KindSSH, Name: "ssh://auditor@db-1:2222"}
	db.Host = "db-1"
	failed := &report.Report{
		SchemaVersion: report.SchemaVersion, Tool: web.Tool, Target: target.Info{Kind: target.KindSSH, Name: "ssh://root@10.0.0.9:22"},
		StartedAt: web.StartedAt, Bundles: web.Bundles, Timings: report.Timings{TotalSeconds: 0.05},
	}
	return &report.Report{
		SchemaVersion: report.MultiSchemaVersion,
		Tool:          web.Tool,
		StartedAt:     web.StartedAt,
		Bundles:       web.Bundles,
		Timings:       report.Timings{TotalSeconds: 1.5},
		Targets: []report.TargetResult{
			{Report: web, Status: report.TargetOK, Labels: map[string]string{"role": "web", "site": "par1"}},
			{Report: db, Status: report.TargetOK},
			{Report: failed, Status: report.TargetFailed,
				Error: "ssh://root@10.0.0.9:22: host key SHA256:AbCdEf (ssh-ed25519) of 10.0.0.9:22 is not in /root/.ssh/known_hosts: check the fingerprint out of band"},
		},
	}
}

func finding(f report.Finding) report.Finding {
	f.ComputeFingerprint()
	return f
}

// Violations is a host scan with two bundles: failing, warning, erroring and
// skipped policies, failed and timed-out collectors, skips, and network facts.
func Violations() *report.Report {
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "assay", Version: "1.2.3"},
		Target:        target.Info{Kind: target.KindHost, Name: "/"},
		Host:          "web-1",
		StartedAt:     Started,
		Duration:      1500 * time.Millisecond,
		Timings:       report.Timings{TotalSeconds: 1.5, CollectSeconds: 1.2, EvaluateSeconds: 0.3},
		Documents:     5,
		Bundles: []report.Bundle{
			{Name: "ssh-baseline", Version: "1.0.0", Source: "policies/ssh", Description: "OpenSSH server hardening", Digest: "sha256:0123abcd", Revision: "9f2c1e7"},
			{Name: "files", Version: "0.3.1", Source: "/etc/assay/files"},
		},
		Collectors: []report.CollectorResult{
			{Bundle: "ssh-baseline", Type: "sshd_config", Name: "main", Status: report.CollectorOK, Documents: 1, DurationSeconds: 0.012},
			{Bundle: "files", Type: "file", Name: "authorized_keys", Status: report.CollectorOK, Documents: 4, DurationSeconds: 0.2,
				Skipped:         []report.Skip{{Path: "/root/.ssh/authorized_keys", Reason: "permission denied"}, {Path: "/home/bob/.ssh", Reason: "not a regular file"}},
				SkippedTotal:    5,
				SkippedByReason: []report.SkipCount{{Reason: "permission denied", Count: 3}, {Reason: "not a regular file", Count: 2}}},
			{Bundle: "files", Type: "file", Name: "slow", Status: report.CollectorTimeout, Error: "context deadline exceeded after 5m0s", DurationSeconds: 300},
			{Bundle: "files", Type: "netmac", Name: "lan", Status: report.CollectorFailed, Error: "read /proc/net/arp: permission denied", DurationSeconds: 0.001},
			{Bundle: "ssh-baseline", Type: "sshd_config", Name: "absent", Status: report.CollectorNotApplicable},
		},
		Policies: []report.PolicyResult{
			{Bundle: "ssh-baseline", ID: "sshd-password-auth", Title: "Password authentication is disabled", Description: "Passwords can be guessed; keys cannot.",
				Severity: report.SeverityHigh, Enforcement: report.Mandatory, Controls: []string{"CIS-5.2.12", "NIST-IA-2"},
				Remediation: "Set `PasswordAuthentication no` in sshd_config.", Source: "policies/ssh/ssh.hcl:12", Status: report.StatusFail, Documents: 1, Findings: 1},
			{Bundle: "ssh-baseline", ID: "sshd-root-login", Title: "Root cannot log in", Severity: report.SeverityCritical, Enforcement: report.Mandatory,
				Status: report.StatusPass, Documents: 1},
			{Bundle: "ssh-baseline", ID: "sshd-banner", Title: "A login banner is shown", Severity: report.SeverityInfo, Enforcement: report.Advisory,
				Status: report.StatusWarn, Documents: 1, Findings: 1},
			{Bundle: "ssh-baseline", ID: "sshd-match", Title: "Match blocks are restricted", Severity: report.SeverityMedium, Enforcement: report.Mandatory,
				Status: report.StatusError, Error: "eval_conflict_error: functions must not produce multiple outputs", Documents: 1},
			{Bundle: "ssh-baseline", ID: "sshd-absent", Title: "Optional sshd config", Severity: report.SeverityLow, Enforcement: report.Advisory, Status: report.StatusSkip},
			{Bundle: "files", ID: "authorized-keys-format", Title: "authorized_keys holds only keys", Severity: report.SeverityMedium, Enforcement: report.Mandatory,
				Controls: []string{"MIG-1"}, Remediation: "Remove lines that are not public keys.", Status: report.StatusFail, Documents: 4, Findings: 2},
			{Bundle: "files", ID: "rogue-mac", Title: "No unknown MAC address on the LAN", Severity: report.SeverityLow, Enforcement: report.Advisory,
				Status: report.StatusFail, Documents: 0, Findings: 1},
		},
		Findings: []report.Finding{
			finding(report.Finding{Bundle: "ssh-baseline", PolicyID: "sshd-password-auth", Title: "Password authentication is disabled", Kind: report.Deny,
				Severity: report.SeverityHigh, Enforcement: report.Mandatory, Controls: []string{"CIS-5.2.12", "NIST-IA-2"},
				Message: "PasswordAuthentication is yes", Remediation: "Set `PasswordAuthentication no` in sshd_config.", Target: "/",
				Collector: "sshd_config.main", Path: "/etc/ssh/sshd_config", Line: 58}),
			finding(report.Finding{Bundle: "ssh-baseline", PolicyID: "sshd-banner", Title: "A login banner is shown", Kind: report.Warn,
				Severity: report.SeverityInfo, Enforcement: report.Advisory, Message: "no Banner is set", Target: "/", Collector: "sshd_config.main", Path: "/etc/ssh/sshd_config"}),
			finding(report.Finding{Bundle: "files", PolicyID: "authorized-keys-format", Title: "authorized_keys holds only keys", Kind: report.Deny,
				Severity: report.SeverityMedium, Enforcement: report.Mandatory, Controls: []string{"MIG-1"}, Message: "line is not a public key",
				Target: "/", Collector: "file.authorized_keys", Path: "/home/alice/.ssh/authorized_keys", Line: 3}),
			finding(report.Finding{Bundle: "files", PolicyID: "authorized-keys-format", Title: "authorized_keys holds only keys", Kind: report.Deny,
				Severity: report.SeverityMedium, Enforcement: report.Mandatory, Controls: []string{"MIG-1"}, Message: "line is not a public key",
				Target: "/", Collector: "file.authorized_keys", Path: "/home/alice/.ssh/authorized_keys", Line: 9}),
			finding(report.Finding{Bundle: "files", PolicyID: "rogue-mac", Title: "No unknown MAC address on the LAN", Kind: report.Deny,
				Severity: report.SeverityLow, Enforcement: report.Advisory, Message: "unknown MAC 02:42:ac:11:00:99 on eth0", Target: "/"}),
		},
		Net: &report.Net{
			Interfaces: []report.NetInterface{{Name: "eth0", MAC: "02:42:ac:11:00:02"}, {Name: "lo", MAC: "00:00:00:00:00:00"}},
			Neighbors: []report.NetNeighbor{
				{Interface: "eth0", IP: "172.17.0.1", MAC: "02:42:ac:11:00:01", Source: "arp_cache"},
				{Interface: "eth0", IP: "fe80::42:acff:fe11:99", MAC: "02:42:ac:11:00:99", Source: "ndp_cache"},
			},
		},
	}
	return r
}

// CleanImage is an image scan where every policy passes.
func CleanImage() *report.Report {
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "assay", Version: "dev"},
		Target:        target.Info{Kind: target.KindImage, Name: "registry.example/app:1.4", Digest: "sha256:feedface"},
		StartedAt:     Started,
		Duration:      250 * time.Millisecond,
		Documents:     1,
		Bundles:       []report.Bundle{{Name: "image-baseline", Version: "2.0.0", Source: "builtin:image-baseline"}},
		Collectors: []report.CollectorResult{
			{Bundle: "image-baseline", Type: "file", Name: "passwd", Status: report.CollectorOK, Documents: 1, DurationSeconds: 0.002},
		},
		Policies: []report.PolicyResult{
			{Bundle: "image-baseline", ID: "no-root-user", Title: "The image does not run as root", Severity: report.SeverityHigh, Enforcement: report.Mandatory,
				Status: report.StatusPass, Documents: 1},
		},
	}
}

// ImageSkips is an image scan whose layers held thousands of hostile
// entries: the target's pseudo collector target.image lists the first few
// (a megabyte name kept as a short prefix) and counts them per reason, and a
// collector skipped a file of its own.
func ImageSkips() *report.Report {
	long := report.Shorten("usr/share/"+strings.Repeat("n", 1<<20), 256)
	layer := "layer 2 (sha256:" + strings.Repeat("ab", 32) + "): "
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "assay", Version: "1.2.3"},
		Target:        target.Info{Kind: target.KindImage, Name: "registry.example/hostile:1", Digest: "sha256:" + strings.Repeat("cd", 32)},
		StartedAt:     Started,
		Duration:      2 * time.Second,
		Documents:     1,
		Bundles:       []report.Bundle{{Name: "image-baseline", Version: "2.0.0", Source: "builtin:image-baseline"}},
		Collectors: []report.CollectorResult{
			{Type: "target", Name: "image", Status: report.CollectorOK,
				Skipped: []report.Skip{
					{Path: long, Reason: layer + "malformed entry: name longer than 4096 bytes (PATH_MAX): 1048586 bytes"},
					{Path: "/etc/../../escape", Reason: layer + "path climbs out of the root (..)"},
				},
				SkippedTotal: 3000,
				SkippedByReason: []report.SkipCount{
					{Reason: "malformed entry: name longer than 4096 bytes (PATH_MAX)", Count: 2999},
					{Reason: "path climbs out of the root (..)", Count: 1},
				}},
			{Bundle: "image-baseline", Type: "file", Name: "passwd", Status: report.CollectorOK, Documents: 1, DurationSeconds: 0.002,
				Skipped: []report.Skip{{Path: "/etc/shadow", Reason: "follow symlink: dangling link to /nowhere"}}, SkippedTotal: 1,
				SkippedByReason: []report.SkipCount{{Reason: "dangling link", Count: 1}}},
		},
		Policies: []report.PolicyResult{
			{Bundle: "image-baseline", ID: "no-root-user", Title: "The image does not run as root", Severity: report.SeverityHigh, Enforcement: report.Mandatory,
				Status: report.StatusPass, Documents: 1},
		},
	}
}

// RootPaths is a --root scan whose paths need escaping: spaces, a colon,
// non-ASCII, markup characters.
func RootPaths() *report.Report {
	f := func(path string, line int, msg string) report.Finding {
		return finding(report.Finding{Bundle: "odd", PolicyID: "odd-files", Title: "Odd <files> & names", Kind: report.Deny,
			Severity: report.SeverityCritical, Enforcement: report.Advisory, Message: msg, Target: "/srv/rootfs", Collector: "file.odd", Path: path, Line: line})
	}
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "assay", Version: "v0.9.0-rc.1"},
		Target:        target.Info{Kind: target.KindRoot, Name: "/srv/rootfs"},
		StartedAt:     Started,
		Duration:      time.Second,
		Bundles:       []report.Bundle{{Name: "odd", Source: "./odd"}},
		Collectors:    []report.CollectorResult{{Bundle: "odd", Type: "file", Name: "odd", Status: report.CollectorOK, Documents: 3}},
		Policies: []report.PolicyResult{{Bundle: "odd", ID: "odd-files", Title: "Odd <files> & names", Severity: report.SeverityCritical,
			Enforcement: report.Advisory, Status: report.StatusFail, Documents: 3, Findings: 3}},
		Findings: []report.Finding{
			f("/etc/with space/a b.conf", 1, `quote " and <tag> & ampersand`),
			f("/opt/c:d/ünïcode.txt", 0, "colon and non-ASCII\x01control"),
			f("/", 0, "the root itself"),
		},
	}
}

// Compliance is an image scan run as a compliance program does it: a
// waived finding, one whose waiver expired, one an exception rule of the
// policy's Rego excepts, a stale waiver, a baseline (new, unchanged and
// fixed findings), a skipped policy with its reason, and the scores and
// control roll-up (computed by hand in docs/waivers.md's example: ssh
// 6/14 = 42.9, keys 10/10 = 100, overall 16/24 = 66.7).
func Compliance() *report.Report {
	f := func(policy, title string, sev report.Severity, msg, path string, line int, controls ...string) report.Finding {
		return finding(report.Finding{Bundle: "ssh-baseline", PolicyID: policy, Title: title, Kind: report.Deny, Severity: sev,
			Enforcement: report.Mandatory, Controls: controls, Message: msg, Target: "registry.example/app:2.0",
			Collector: "sshd_config.main", Path: path, Line: line})
	}
	rootLogin := f("sshd-permit-root-login", "Root cannot log in over SSH", report.SeverityHigh, `PermitRootLogin is "yes"; want "no"`, "/etc/ssh/sshd_config", 4, "CIS-5.2.8")
	rootLogin.Waived = &report.Waiver{ID: "legacy-root-login", Justification: "Break-glass image; key-only root, reviewed quarterly",
		ApprovedBy: "secops@example.com", Expires: "2027-03-31", Ticket: "SEC-1234"}
	rootLogin.Baseline = report.BaselineUnchanged
	password := f("sshd-password-auth", "Password authentication is disabled", report.SeverityHigh, `PasswordAuthentication is "yes"; want "no"`,
		"/etc/ssh/sshd_config", 5, "CIS-5.2.12", "NIST-800-53:IA-2")
	password.WaiverExpired = &report.ExpiredWaiver{ID: "old-password-waiver", Expired: "2026-01-01"}
	password.Baseline = report.BaselineUnchanged
	x11 := f("sshd-x11-forwarding", "X11 forwarding is disabled", report.SeverityMedium, `X11Forwarding is "yes"; want "no"`, "/etc/ssh/sshd_config", 6, "CIS-5.2.6")
	x11.Baseline = report.BaselineNew
	dss := finding(report.Finding{Bundle: "authorized-keys", PolicyID: "no-dss", Title: "No DSA keys", Kind: report.Deny, Severity: report.SeverityCritical,
		Enforcement: report.Mandatory, Controls: []string{"MIG-1"}, Message: "key type ssh-dss is not allowed (allowed: ssh-ed25519)",
		Target: "registry.example/app:2.0", Collector: "file.keys", Path: "/root/.ssh/authorized_keys", Line: 3,
		Details: map[string]any{"evidence": "ssh-dss AAAAB3NzaC1kc3MAAACBAP legacy@build"}})
	dss.Waived = report.ExceptionWaiver("assay.keys.no_dss", "no_dss")
	dss.Baseline = report.BaselineNew
	maxAuth := f("sshd-max-auth-tries", "MaxAuthTries is low", report.SeverityMedium, "MaxAuthTries is 6; want 4 or less (sshd's default)", "/etc/ssh/sshd_config", 0)
	maxAuth.Target = "registry.example/app:1.9"

	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "assay", Version: "1.2.3"},
		Target:        target.Info{Kind: target.KindImage, Name: "registry.example/app:2.0", Digest: "sha256:" + strings.Repeat("ef", 32)},
		StartedAt:     Started,
		Duration:      time.Second,
		Timings:       report.Timings{TotalSeconds: 1, CollectSeconds: 0.8, EvaluateSeconds: 0.2},
		Documents:     3,
		Bundles: []report.Bundle{
			{Name: "ssh-baseline", Version: "1.0.0", Source: "policies/ssh-baseline"},
			{Name: "authorized-keys", Version: "0.3.0", Source: "policies/authorized-keys"},
		},
		Collectors: []report.CollectorResult{
			{Bundle: "ssh-baseline", Type: "sshd_config", Name: "main", Status: report.CollectorOK, Documents: 2, DurationSeconds: 0.01},
			{Bundle: "ssh-baseline", Type: "sshd_config", Name: "match", Status: report.CollectorNotApplicable, Error: "/etc/ssh/sshd_config.d/match.conf: not applicable"},
			{Bundle: "authorized-keys", Type: "file", Name: "keys", Status: report.CollectorOK, Documents: 1, DurationSeconds: 0.02},
		},
		Policies: []report.PolicyResult{
			{Bundle: "authorized-keys", ID: "no-dss", Title: "No DSA keys", Severity: report.SeverityCritical, Enforcement: report.Mandatory,
				Controls: []string{"MIG-1"}, Status: report.StatusWaived, Documents: 1, Findings: 1, Waived: 1},
			{Bundle: "ssh-baseline", ID: "sshd-banner", Title: "A banner is shown", Severity: report.SeverityLow, Enforcement: report.Advisory,
				Controls: []string{"CIS-5.2.15"}, Status: report.StatusPass, Documents: 2},
			{Bundle: "ssh-baseline", ID: "sshd-match-only", Title: "Match blocks are judged", Severity: report.SeverityInfo, Enforcement: report.Mandatory,
				Status: report.StatusSkip, SkipReason: "collector sshd_config.match does not apply: /etc/ssh/sshd_config.d/match.conf: not applicable"},
			{Bundle: "ssh-baseline", ID: "sshd-password-auth", Title: "Password authentication is disabled", Severity: report.SeverityHigh, Enforcement: report.Mandatory,
				Controls: []string{"CIS-5.2.12", "NIST-800-53:IA-2"}, Status: report.StatusFail, Documents: 2, Findings: 1},
			{Bundle: "ssh-baseline", ID: "sshd-permit-root-login", Title: "Root cannot log in over SSH", Severity: report.SeverityHigh, Enforcement: report.Mandatory,
				Controls: []string{"CIS-5.2.8"}, Status: report.StatusWaived, Documents: 2, Findings: 1, Waived: 1},
			{Bundle: "ssh-baseline", ID: "sshd-x11-forwarding", Title: "X11 forwarding is disabled", Severity: report.SeverityMedium, Enforcement: report.Mandatory,
				Controls: []string{"CIS-5.2.6"}, Status: report.StatusFail, Documents: 2, Findings: 1},
		},
		Findings: []report.Finding{rootLogin, password, x11, dss},
		Waivers: &report.Waivers{
			Now:   time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
			Files: []report.WaiverFile{{Path: "waivers.hcl", SHA256: strings.Repeat("5a", 32)}},
			Entries: []report.WaiverEntry{
				{Waiver: *rootLogin.Waived, Policy: "ssh-baseline/sshd-permit-root-login", Source: "waivers.hcl:1",
					ExpiresAt: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), Findings: 1},
				{Waiver: report.Waiver{ID: "old-password-waiver", Justification: "migration to keys", ApprovedBy: "secops@example.com", Expires: "2026-01-01"},
					Policy: "ssh-baseline/sshd-password-auth", Source: "waivers.hcl:10", ExpiresAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Expired: true, Findings: 1},
				{Waiver: report.Waiver{ID: "stale-bastion", Justification: "bastion hosts", ApprovedBy: "secops@example.com", Expires: "2026-12-01"},
					Policy: "ssh-baseline/sshd-*", Source: "waivers.hcl:18", ExpiresAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Stale: true},
			},
		},
		Baseline: &report.Baseline{File: "baseline.json", Tool: report.Tool{Name: "assay", Version: "1.2.2"},
			Target: target.Info{Kind: target.KindImage, Name: "registry.example/app:1.9"}, StartedAt: Started.Add(-24 * time.Hour),
			New: 2, Unchanged: 2, Fixed: 1, FixedFindings: []report.Finding{maxAuth}},
	}
	r.Sort()
	r.Scores = report.ComputeScores(r)
	return r
}

// Sample is the report the JSON and table golden files are made from: a
// host scan with findings of every severity and kind, a policy error, and
// collector skips and a timeout.
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
			{Bundle: "ssh-baseline", Type: "sshd_config", Name: "main", Status: report.CollectorOK, Documents: 1, DurationSeconds: 0.004},
			{Bundle: "authorized-keys", Type: "file", Name: "keys", Status: report.CollectorOK, Documents: 3, DurationSeconds: 0.02,
				Skipped: []report.Skip{{Path: "/home/bob/.ssh/authorized_keys", Reason: "permission denied"}}, SkippedTotal: 2,
				SkippedByReason: []report.SkipCount{{Reason: "permission denied", Count: 2}}},
			{Bundle: "authorized-keys", Type: "file", Name: "slow", Status: report.CollectorTimeout, Error: "did not finish within 5m0s", DurationSeconds: 300},
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

// SampleEmpty is Sample's clean counterpart: an image scan with one passing
// policy and no findings.
func SampleEmpty() *report.Report {
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "assay", Version: "1.2.3"},
		Target:        target.Info{Kind: target.KindImage, Name: "registry.example/app:1.0", Digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		StartedAt:     time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC),
		Bundles:       []report.Bundle{{Name: "ssh-baseline", Version: "1.0.0", Source: "policies/ssh-baseline"}},
		Collectors:    []report.CollectorResult{{Bundle: "ssh-baseline", Type: "sshd_config", Name: "main", Status: report.CollectorOK, Documents: 1}},
		Policies: []report.PolicyResult{{Bundle: "ssh-baseline", ID: "root-login", Title: "Root cannot log in", Severity: report.SeverityCritical,
			Enforcement: report.Mandatory, Status: report.StatusPass, Documents: 1}},
		Timings:   report.Timings{TotalSeconds: 0.01},
		Documents: 1,
	}
}

// SharedSchema returns the path of a schema in the project's shared/schemas
// directory, found by walking up from the test's working directory. The
// schemas are not part of the repository: they live in shared/schemas beside
// the checkout (../shared/schemas from the repository root). When the schema
// is missing the test fails in CI and is skipped elsewhere.
func SharedSchema(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "schemas", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			testenv.Unavailable(t, "schema %s not found: it is expected in shared/schemas beside the repository (../shared/schemas from its root), which is not part of the repository; put it there", name)
			return ""
		}
		dir = parent
	}
}

// CheckErrors checks what every exporter owes its caller: a cancelled
// context stops it with context.Canceled, and a failing writer is reported,
// never swallowed.
func CheckErrors(t *testing.T, newExporter func(w io.Writer) exporters.Exporter) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if err := newExporter(&buf).Export(ctx, Violations()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v, want context.Canceled", err)
	}
	if err := newExporter(failWriter{}).Export(context.Background(), Violations()); err == nil {
		t.Error("write error swallowed")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
