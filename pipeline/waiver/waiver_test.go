package waiver

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/assay-dev/assay/core/report"
)

const good = `waiver "legacy-bastion-root-login" {
  policy        = "ssh-baseline/sshd-permit-root-login"
  targets       = ["bastion-*"]
  paths         = ["/etc/ssh/sshd_config"]
  justification = "Break-glass host; key-only root, reviewed quarterly"
  approved_by   = "secops@example.com"
  expires       = "2027-03-31"
  ticket        = "SEC-1234"
}
`

func TestParse(t *testing.T) {
	ws, _, diags := Parse([]byte(good), "w.hcl")
	if diags.HasErrors() || len(ws) != 1 {
		t.Fatalf("%d waivers, diags %v", len(ws), diags)
	}
	w := ws[0]
	want := report.Waiver{ID: "legacy-bastion-root-login", Justification: "Break-glass host; key-only root, reviewed quarterly",
		ApprovedBy: "secops@example.com", Expires: "2027-03-31", Ticket: "SEC-1234"}
	if w.Waiver != want || w.Policy != "ssh-baseline/sshd-permit-root-login" ||
		fmt.Sprint(w.Targets, w.Paths) != "[bastion-*] [/etc/ssh/sshd_config]" ||
		!w.ExpiresAt.Equal(time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)) || w.Source() != "w.hcl:1" {
		t.Errorf("parsed %+v", w)
	}
}

// TestParseErrors: every mistake is a diagnostic at file:line:col that
// says what to do, and the good waivers of the file are kept.
func TestParseErrors(t *testing.T) {
	block := func(body string) string {
		return "waiver \"w\" {\n" + body + "}\n"
	}
	base := map[string]string{
		"policy": `"b/p"`, "justification": `"j"`, "approved_by": `"a"`, "expires": `"2027-01-01"`,
	}
	with := func(changes ...string) string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(changes); i += 2 {
			if changes[i+1] == "" {
				delete(m, changes[i])
			} else {
				m[changes[i]] = changes[i+1]
			}
		}
		var b strings.Builder
		for _, k := range []string{"policy", "targets", "paths", "fingerprint", "justification", "approved_by", "expires", "ticket", "approver"} {
			if v, ok := m[k]; ok {
				fmt.Fprintf(&b, "  %s = %s\n", k, v)
			}
		}
		return block(b.String())
	}
	for _, tc := range []struct {
		name, src string
		at        string // line:col of the first error
		summary   string
		detail    string
	}{
		{"no justification", with("justification", ""), "1:1", "Missing justification", "why the risk is accepted"},
		{"no approver", with("approved_by", ""), "1:1", "Missing approved_by", "who accepted the risk"},
		{"no expiry", with("expires", ""), "1:1", "Missing expires", "RFC 3339 date"},
		{"no policy", with("policy", ""), "1:1", "Missing policy", "BUNDLE/POLICY"},
		{"empty justification", with("justification", `"  "`), "3:19", "Empty justification", "an auditor reads it"},
		{"malformed date", with("expires", `"31/03/2027"`), "5:13", "Invalid expires", "not an RFC 3339 date (2027-03-31)"},
		{"a number for a date", with("expires", `20270331`), "5:13", "Invalid expires", "not an RFC 3339 date"},
		{"a list for a string", with("approved_by", `["a"]`), "4:17", "Invalid approved_by", "must be a string"},
		{"a string for a list", with("targets", `"bastion-*"`), "3:13", "Invalid targets", `targets = ["bastion-*"]`},
		{"bad pattern", with("paths", `["/etc/[ssh"]`), "3:11", "Invalid pattern", "path.Match"},
		{"bad policy pattern", with("policy", `"b/[p"`), "2:12", "Invalid policy pattern", "path.Match"},
		{"bad fingerprint", with("fingerprint", `"abc"`), "3:17", "Invalid fingerprint", "32 hexadecimal digits"},
		{"unknown argument", with("approver", `"x"`), "6:3", "Unsupported argument", "approver"},
		{"reserved id", strings.Replace(with(), `"w"`, `"exception:x"`, 1), "1:8", "Invalid waiver id", "exception rules"},
		{"id with a space", strings.Replace(with(), `"w"`, `"a b"`, 1), "1:8", "Invalid waiver id", "no spaces"},
		{"unknown block", "waivr \"w\" {}\n", "1:1", "Unsupported block type", `Did you mean "waiver"?`},
		{"syntax", "waiver \"w\" {\n  policy = \n}\n", "2:12", "Invalid expression", ""},
		{"file() is not offered", with("justification", `file("/etc/passwd")`), "3:19", "Call to unknown function", ""},
		{"nesting beyond the limit", with("justification", strings.Repeat("(", 300)+`"x"`+strings.Repeat(")", 300)), "3:", "", "nest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src + "\n" + strings.Replace(good, "legacy-bastion-root-login", "kept", 1)
			ws, _, diags := Parse([]byte(src), "w.hcl")
			if !diags.HasErrors() {
				t.Fatalf("no error for\n%s", tc.src)
			}
			d := diags[0]
			if d.Subject == nil {
				t.Fatalf("%s: %s: no location", d.Summary, d.Detail)
			}
			at := fmt.Sprintf("%d:%d", d.Subject.Start.Line, d.Subject.Start.Column)
			if !strings.HasPrefix(at, tc.at) || d.Subject.Filename != "w.hcl" {
				t.Errorf("at %s:%s, want w.hcl:%s (%s: %s)", d.Subject.Filename, at, tc.at, d.Summary, d.Detail)
			}
			if !strings.Contains(d.Summary, tc.summary) || !strings.Contains(d.Summary+" "+d.Detail, tc.detail) {
				t.Errorf("%s: %s; want %q and %q", d.Summary, d.Detail, tc.summary, tc.detail)
			}
			if tc.name != "syntax" && tc.name != "nesting beyond the limit" && (len(ws) != 1 || ws[0].ID != "kept") {
				t.Errorf("the good waiver was not kept: %d waivers", len(ws))
			}
		})
	}
}

func TestLoadDuplicatesAndLimit(t *testing.T) {
	_, diags := Load([]File{{"a.hcl", []byte(good)}, {"b.hcl", []byte("\n\n" + good)}})
	if !diags.HasErrors() || diags[0].Summary != "Duplicate waiver" || diags[0].Subject.Filename != "b.hcl" ||
		diags[0].Subject.Start.Line != 3 || !strings.Contains(diags[0].Detail, "a.hcl:1") {
		t.Errorf("duplicate: %v", diags)
	}
	// The limit, made small: MaxWaivers of them take seconds under -race.
	const max = 20
	var b strings.Builder
	for i := range max + 1 {
		fmt.Fprintf(&b, "waiver \"w%d\" {\n  policy = \"b/p\"\n  justification = \"j\"\n  approved_by = \"a\"\n  expires = \"2027-01-01\"\n}\n", i)
	}
	s, diags := load([]File{{"many.hcl", []byte(b.String())}}, max)
	if !diags.HasErrors() || diags[len(diags)-1].Summary != "Too many waivers" || len(s.Waivers) != max || diags[len(diags)-1].Subject.Start.Line != 6*max+1 {
		t.Errorf("%d waivers kept, diags %v", len(s.Waivers), diags)
	}
	if _, diags := Load([]File{{"big.hcl", []byte(strings.Repeat(" ", MaxFileSize+1))}}); !diags.HasErrors() {
		t.Error("a file beyond MaxFileSize was read")
	}
}

func TestCheck(t *testing.T) {
	policies := []string{"ssh-baseline/sshd-permit-root-login", "ssh-baseline/sshd-password-auth", "authorized-keys/authorized-keys-lines"}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, policy, expires string
		maxDays               int
		summary, detail       string
	}{
		{"known", "ssh-baseline/sshd-permit-root-login", "2027-03-31", 365, "", ""},
		{"pattern", "ssh-baseline/sshd-*", "2027-03-31", 365, "", ""},
		{"typo", "ssh-baseline/sshd-permit-root-logon", "2027-03-31", 365, "Unknown policy", `Did you mean "ssh-baseline/sshd-permit-root-login"?`},
		{"no bundle", "sshd-password-auth", "2027-03-31", 365, "Unknown policy", `Did you mean "ssh-baseline/sshd-password-auth"?`},
		{"wrong bundle", "ssh/authorized-keys-lines", "2027-03-31", 365, "Unknown policy", `Did you mean "authorized-keys/authorized-keys-lines"?`},
		{"pattern matching nothing", "ssh-baseline/nothing-*", "2027-03-31", 365, "Unknown policy", "matches no policy"},
		{"a star never crosses the slash", "*", "2027-03-31", 365, "Unknown policy", "not BUNDLE/POLICY"},
		{"too far out", "ssh-baseline/sshd-password-auth", "2027-06-02", 365, "Waiver expires too late", "366 days after 2026-06-01"},
		{"no limit", "ssh-baseline/sshd-password-auth", "2099-01-01", 0, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := fmt.Sprintf("waiver \"w\" {\n  policy = %q\n  justification = \"j\"\n  approved_by = \"a\"\n  expires = %q\n}\n", tc.policy, tc.expires)
			s, diags := Load([]File{{"w.hcl", []byte(src)}})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			diags = s.Check(policies, now, tc.maxDays)
			if tc.summary == "" {
				if len(diags) > 0 {
					t.Errorf("unexpected %v", diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Summary != tc.summary || !strings.Contains(diags[0].Detail, tc.detail) {
				t.Fatalf("%v; want %s: …%s…", diags, tc.summary, tc.detail)
			}
			wantLine := 2
			if tc.summary == "Waiver expires too late" {
				wantLine = 5
			}
			if s := diags[0].Subject; s == nil || s.Start.Line != wantLine {
				t.Errorf("subject %v, want line %d", s, wantLine)
			}
		})
	}
}

// TestApply: which waiver marks which finding, at a fixed clock.
func TestApply(t *testing.T) {
	src := `
waiver "root-on-bastions" {
  policy        = "ssh/root-login"
  targets       = ["bastion-*"]
  justification = "break-glass"
  approved_by   = "secops"
  expires       = "2027-01-01"
}
waiver "keys-expired" {
  policy        = "keys/*"
  paths         = ["/home/*/.ssh/authorized_keys"]
  justification = "legacy"
  approved_by   = "secops"
  expires       = "2026-01-01"
}
waiver "keys-renewed" {
  policy        = "keys/lines"
  paths         = ["/home/bob/.ssh/authorized_keys"]
  justification = "renewed"
  approved_by   = "secops"
  expires       = "2026-12-01T12:00:00Z"
}
waiver "one-finding" {
  policy        = "ssh/*"
  fingerprint   = "0123456789abcdef0123456789abcdef"
  justification = "exactly this one"
  approved_by   = "secops"
  expires       = "2027-01-01"
}
waiver "stale" {
  policy        = "ssh/root-login"
  paths         = ["/nowhere"]
  justification = "gone"
  approved_by   = "secops"
  expires       = "2027-01-01"
}
`
	s, diags := Load([]File{{"w.hcl", []byte(src)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	f := func(bundle, policy, tgt, path string) report.Finding {
		return report.Finding{Bundle: bundle, PolicyID: policy, Kind: report.Deny, Target: tgt, Path: path}
	}
	exact := f("ssh", "ciphers", "db-1", "/etc/ssh/sshd_config")
	exact.Fingerprint = "0123456789abcdef0123456789abcdef"
	exception := f("ssh", "root-login", "bastion-2", "/etc/ssh/sshd_config")
	exception.Waived = report.ExceptionWaiver("assay.ssh.root", "")
	r := &report.Report{
		Host: "bastion-1",
		Policies: []report.PolicyResult{
			{Bundle: "ssh", ID: "root-login", Status: report.StatusFail},
			{Bundle: "ssh", ID: "ciphers", Status: report.StatusFail},
			{Bundle: "keys", ID: "lines", Status: report.StatusFail},
		},
		Findings: []report.Finding{
			f("ssh", "root-login", "/", "/etc/ssh/sshd_config"),         // 0: the host is bastion-1
			f("ssh", "root-login", "bastion-9:latest", ""),              // 1: the target matches bastion-*
			f("keys", "lines", "/", "/home/alice/.ssh/authorized_keys"), // 2: only the expired waiver
			f("keys", "lines", "/", "/home/bob/.ssh/authorized_keys"),   // 3: expired one and renewed one
			exact,     // 4
			exception, // 5: an exception rule, left alone
			f("ssh", "ciphers", "db-1", "/etc/ssh/sshd_config"), // 6: nothing
		},
	}
	r.Host = "bastion-1"
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s.Apply(r, now)
	want := []struct{ waived, expired string }{
		{"root-on-bastions", ""}, {"root-on-bastions", ""}, {"", "keys-expired"}, {"keys-renewed", ""},
		{"one-finding", ""}, {"exception:assay.ssh.root:", ""}, {"", ""},
	}
	for i, w := range want {
		got := r.Findings[i]
		gw, ge := "", ""
		if got.Waived != nil {
			gw = got.Waived.ID
		}
		if got.WaiverExpired != nil {
			ge = got.WaiverExpired.ID
		}
		if gw != w.waived || ge != w.expired {
			t.Errorf("finding %d: waived %q, expired %q; want %q, %q", i, gw, ge, w.waived, w.expired)
		}
	}
	if r.Findings[2].WaiverExpired.Expired != "2026-01-01" {
		t.Errorf("expired %+v", r.Findings[2].WaiverExpired)
	}
	entries := map[string]report.WaiverEntry{}
	for _, e := range r.Waivers.Entries {
		entries[e.ID] = e
	}
	for id, w := range map[string]struct {
		findings       int
		expired, stale bool
	}{
		// the exception's finding still counts as matched by the waiver.
		"root-on-bastions": {3, false, false}, "keys-expired": {2, true, false}, "keys-renewed": {1, false, false},
		"one-finding": {1, false, false}, "stale": {0, false, true},
	} {
		e := entries[id]
		if e.Findings != w.findings || e.Expired != w.expired || e.Stale != w.stale {
			t.Errorf("%s: %d findings, expired %v, stale %v; want %+v", id, e.Findings, e.Expired, e.Stale, w)
		}
	}
	if !r.Waivers.Now.Equal(now) || len(r.Waivers.Files) != 1 || r.Waivers.Files[0].Path != "w.hcl" || len(r.Waivers.Files[0].SHA256) != 64 {
		t.Errorf("waivers %+v", r.Waivers)
	}
	status := map[string]report.Status{}
	for _, p := range r.Policies {
		status[p.ID] = p.Status
	}
	if status["root-login"] != report.StatusWaived || status["ciphers"] != report.StatusFail || status["lines"] != report.StatusFail {
		t.Errorf("statuses %v", status)
	}

	// A day later than the renewed waiver's time, it has expired too.
	r2 := &report.Report{Findings: []report.Finding{f("keys", "lines", "/", "/home/bob/.ssh/authorized_keys")}}
	s.Apply(r2, time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	if r2.Findings[0].Waived != nil || r2.Findings[0].WaiverExpired == nil || r2.Findings[0].WaiverExpired.ID != "keys-expired" {
		t.Errorf("at expiry: %+v %+v", r2.Findings[0].Waived, r2.Findings[0].WaiverExpired)
	}
}
