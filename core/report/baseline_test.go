package report

import (
	"testing"

	"github.com/assay-dev/assay/core/target"
)

// TestBaselineKey: the key survives what changes between two scans of one
// system that nobody fixed or broke, and changes with what does.
func TestBaselineKey(t *testing.T) {
	base := Finding{Bundle: "ssh-baseline", PolicyID: "sshd-max-auth-tries", Kind: Deny, Severity: SeverityMedium,
		Message: "MaxAuthTries is 6; want 4 or less (sshd's default)", Target: "registry.example/app:1.0",
		Collector: "sshd_config.main", Path: "/etc/ssh/sshd_config", Line: 12}
	keys := Finding{Bundle: "authorized-keys", PolicyID: "authorized-keys-lines", Message: "key type ssh-dss is not allowed (allowed: ssh-ed25519, ssh-rsa)",
		Path: "/root/.ssh/authorized_keys", Line: 3}
	withEvidence := Finding{Bundle: "b", PolicyID: "p", Message: "line 3: bad key", Path: "/k", Details: map[string]any{"evidence": "ssh-dss  AAAA  root@x"}}
	for _, tc := range []struct {
		name   string
		from   Finding
		change func(f *Finding)
		same   bool
	}{
		{"a new image tag", base, func(f *Finding) { f.Target = "registry.example/app:1.1" }, true},
		{"an image digest", base, func(f *Finding) { f.Target = "registry.example/app@sha256:feed" }, true},
		{"another hostname", base, func(f *Finding) { f.Target = "web-2" }, true},
		{"a tailored threshold", base, func(f *Finding) { f.Message = "MaxAuthTries is 6; want 3 or less (sshd's default)" }, true},
		{"lines moved", base, func(f *Finding) { f.Line = 40 }, true},
		{"another collector name", base, func(f *Finding) { f.Collector = "sshd_config.other" }, true},
		{"a tailored allow-list", keys, func(f *Finding) { f.Message = "key type ssh-dss is not allowed (allowed: ssh-ed25519)" }, true},
		{"evidence spacing", withEvidence, func(f *Finding) {
			f.Details = map[string]any{"evidence": "ssh-dss AAAA root@x"}
			f.Message = "line 9: bad key"
		}, true},
		{"another observed value", base, func(f *Finding) { f.Message = "MaxAuthTries is 8; want 4 or less (sshd's default)" }, false},
		{"another path", base, func(f *Finding) { f.Path = "/etc/ssh/sshd_config.d/10.conf" }, false},
		{"another policy", base, func(f *Finding) { f.PolicyID = "sshd-max-sessions" }, false},
		{"another bundle", base, func(f *Finding) { f.Bundle = "fork" }, false},
		{"another key type", keys, func(f *Finding) { f.Message = "key type ssh-rsa1 is not allowed (allowed: ssh-ed25519)" }, false},
		{"other evidence", withEvidence, func(f *Finding) { f.Details = map[string]any{"evidence": "ssh-dss BBBB root@x"} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changed := tc.from
			tc.change(&changed)
			if got := tc.from.BaselineKey() == changed.BaselineKey(); got != tc.same {
				t.Errorf("same key = %v, want %v (evidence %q → %q)", got, tc.same, Evidence(&tc.from), Evidence(&changed))
			}
		})
	}
}

func TestEvidence(t *testing.T) {
	for msg, want := range map[string]string{
		"MaxAuthTries is 6; want 4 or less (sshd's default)":  "MaxAuthTries is 6",
		"key type ssh-dss is not allowed (allowed: a, b)":     "key type ssh-dss is not allowed",
		"unknown MAC 02:42:ac:11:00:99 seen by web-1 on eth0": "unknown MAC 02:42:ac:11:00:99 seen by web-1 on eth0",
		"  spaced \n  out  ": "spaced out",
	} {
		if got := Evidence(&Finding{Message: msg}); got != want {
			t.Errorf("Evidence(%q) = %q, want %q", msg, got, want)
		}
	}
}

// TestCompare counts repeated keys: two before and three now is two
// unchanged and one new; three before and one now, two fixed.
func TestCompare(t *testing.T) {
	f := func(path, msg string, line int) Finding {
		return Finding{Bundle: "b", PolicyID: "p", Path: path, Message: msg, Line: line, Severity: SeverityHigh}
	}
	earlier := []Finding{f("/a", "bad", 1), f("/a", "bad", 2), f("/b", "gone", 1), f("/c", "x", 1), f("/c", "x", 2), f("/c", "x", 3)}
	later := []Finding{f("/a", "bad", 5), f("/a", "bad", 6), f("/a", "bad", 7), f("/c", "x", 9), f("/d", "fresh", 1)}
	c := Compare(earlier, later)
	if len(c.New) != 2 || len(c.Unchanged) != 3 || len(c.Fixed) != 3 {
		t.Fatalf("new %d, unchanged %d, fixed %d; want 2, 3, 3", len(c.New), len(c.Unchanged), len(c.Fixed))
	}
	if c.New[0].Line != 7 || c.New[1].Path != "/d" {
		t.Errorf("new %+v: want /a:7 and /d", c.New)
	}
	if c.Fixed[0].Path != "/b" || c.Fixed[1].Line != 2 || c.Fixed[2].Line != 3 {
		t.Errorf("fixed %+v: want /b, /c:2, /c:3", c.Fixed)
	}

	r := &Report{Findings: later}
	MarkBaseline(r, &Report{Findings: earlier, Tool: Tool{Name: "assay", Version: "1"}, Target: target.Info{Kind: target.KindRoot, Name: "old"}}, "old.json")
	b := r.Baseline
	if b.New != 2 || b.Unchanged != 3 || b.Fixed != 3 || b.File != "old.json" || b.Target.Name != "old" {
		t.Errorf("baseline %+v", b)
	}
	for i, want := range []BaselineState{BaselineUnchanged, BaselineUnchanged, BaselineNew, BaselineUnchanged, BaselineNew} {
		if r.Findings[i].Baseline != want {
			t.Errorf("finding %d: %q, want %q", i, r.Findings[i].Baseline, want)
		}
	}
}
