package html

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters/exportertest"
)

func TestSegments(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []segment
	}{
		{"plain text", []segment{{Text: "plain text"}}},
		{"tab\tand\nnewline stay", []segment{{Text: "tab\tand\nnewline stay"}}},
		{"invoice\u202Etxt.exe", []segment{{Text: "invoice"}, {Text: "U+202E", Ctl: true, Name: "right-to-left override"}, {Text: "txt.exe"}}},
		{"\u2066x\u2069", []segment{{Text: "U+2066", Ctl: true, Name: "left-to-right isolate"}, {Text: "x"}, {Text: "U+2069", Ctl: true, Name: "pop directional isolate"}}},
		{"bell\x07", []segment{{Text: "bell"}, {Text: "U+0007", Ctl: true, Name: "control character"}}},
		{"nul\x00c1\u0085", []segment{{Text: "nul"}, {Text: "U+0000", Ctl: true, Name: "control character"}, {Text: "c1"}, {Text: "U+0085", Ctl: true, Name: "control character"}}},
		{"bad \xff utf-8", []segment{{Text: "bad \uFFFD utf-8"}}},
		{"עברית RTL letters stay", []segment{{Text: "עברית RTL letters stay"}}},
	} {
		if got := segments(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("segments(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
	for in, want := range map[string]bool{"plain ASCII": false, "ünïcode, ümlauts": false, "שלום.conf": true, "ملف": true, "\u202E": false} {
		if got := text(in).Isolate; got != want {
			t.Errorf("text(%q).Isolate = %v, want %v", in, got, want)
		}
	}
	if got := plain("a\u202Eb"); got != "a[U+202E]b" {
		t.Errorf("plain: %q", got)
	}
}

// TestScores checks the tallies of exportertest.Violations against counts
// made by hand from its policies:
//
//	ssh-baseline  sshd-password-auth      fail   CIS-5.2.12, NIST-IA-2
//	ssh-baseline  sshd-root-login         pass
//	ssh-baseline  sshd-banner             warn
//	ssh-baseline  sshd-match              error
//	ssh-baseline  sshd-absent             skip
//	files         authorized-keys-format  fail   MIG-1
//	files         rogue-mac               fail
func TestScores(t *testing.T) {
	p := buildPage("", "", []Input{{Report: exportertest.Violations()}})
	s := p.Targets[0].Scores
	want := scoresView{
		Overall: tally{Name: "all bundles", Tally: report.Tally{Pass: 1, Fail: 3, Warn: 1, Error: 1, Skip: 1}},
		Bundles: []tally{{Name: "files", Tally: report.Tally{Fail: 2}},
			{Name: "ssh-baseline", Tally: report.Tally{Pass: 1, Fail: 1, Warn: 1, Error: 1, Skip: 1}}},
		Frameworks: []tally{{Name: "CIS", Tally: report.Tally{Fail: 1}}, {Name: "MIG", Tally: report.Tally{Fail: 1}}, {Name: "NIST", Tally: report.Tally{Fail: 1}}},
		Controls: []controlView{
			{Framework: "CIS", Name: "CIS-5.2.12", Status: "fail", Policies: []controlPolicy{{"sshd-password-auth", "ssh-baseline/sshd-password-auth", "fail"}}},
			{Framework: "MIG", Name: "MIG-1", Status: "fail", Policies: []controlPolicy{{"authorized-keys-format", "files/authorized-keys-format", "fail"}}},
			{Framework: "NIST", Name: "NIST-IA-2", Status: "fail", Policies: []controlPolicy{{"sshd-password-auth", "ssh-baseline/sshd-password-auth", "fail"}}},
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("scores\n got %+v\nwant %+v", s, want)
	}
	// The bar of the overall tally: 7 policies; pass 1/7, warn 1/7,
	// fail 3/7, error 1/7, skip 1/7, laid end to end.
	bar := s.Overall.Bar()
	wantBar := []barSegment{{"pass", "0.00", "14.29"}, {"warn", "14.29", "14.29"}, {"fail", "28.57", "42.86"}, {"error", "71.43", "14.29"}, {"skip", "85.71", "14.29"}}
	if !reflect.DeepEqual(bar, wantBar) {
		t.Errorf("bar %+v, want %+v", bar, wantBar)
	}
	if got := s.Overall.Label(); got != "1 pass, 1 warn, 3 fail, 1 error, 1 skip" {
		t.Errorf("label %q", got)
	}
}

// TestControlRollup: a control takes the worst status of its policies, a
// skipped policy never hides another's outcome, and a waived failure
// counts as waived.
func TestControlRollup(t *testing.T) {
	pol := func(id, status string, waived bool, controls ...string) *policyView {
		p := &policyView{Bundle: "b", ID: id, Anchor: id, Status: status, Controls: controls}
		if waived {
			p.Waiver = &waiverView{ID: "w"}
		}
		return p
	}
	s := scores([]*policyView{
		pol("a", "pass", false, "X-1", "X-2", "X-3", "Y-1"),
		pol("b", "fail", false, "X-1"),
		pol("c", "skip", false, "X-2", "X-4"),
		pol("d", "fail", true, "X-3"),
		pol("e", "error", false, "Y-1", "Y-1"),
	})
	got := map[string]string{}
	for _, c := range s.Controls {
		got[c.Name] = c.Status
	}
	want := map[string]string{"X-1": "fail", "X-2": "pass", "X-3": "waived", "X-4": "skip", "Y-1": "error"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("controls %v, want %v", got, want)
	}
	// Framework X: a pass ×3, b fail, c skip ×2, d waived.
	if x := s.Frameworks[0]; x != (tally{Name: "X", Tally: report.Tally{Pass: 3, Fail: 1, Skip: 2, Waived: 1}}) {
		t.Errorf("framework X %+v", x)
	}
}

// TestSectionsWhenPresent: the sections for what reports will carry
// (overlays, waiver files, disabled policies, signer key ids, waivers)
// render from the view as soon as it holds them, and not at all — not
// even an empty box — when it does not.
func TestSectionsWhenPresent(t *testing.T) {
	markers := []string{"Overlays applied", "Waiver files", "Policies disabled by an overlay", "Waived policies", "Waived</strong> by", "key <code>"}
	renderView := func(p *page) string {
		var b bytes.Buffer
		if err := execute(&b, p); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}

	bare := renderView(buildPage("", "", []Input{{Report: exportertest.Violations()}}))
	for _, m := range markers {
		if strings.Contains(bare, m) {
			t.Errorf("a report without it shows %q", m)
		}
	}

	p := buildPage("", "", []Input{{Report: exportertest.Violations()}})
	tv := p.Targets[0]
	tv.Overlays = []fileView{{Name: "acme-cis-l1", Path: "overlays/cis-l1.hcl", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}
	tv.WaiverFiles = []fileView{{Path: "waivers.hcl", SHA256: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"}}
	tv.Disabled = []disabledView{{Bundle: "ssh-baseline", Policy: "sshd-banner", Reason: "no login banner on build hosts", Overlay: "acme-cis-l1"}}
	tv.Bundles[0].Signer = "SHA256:abc123"
	w := &waiverView{ID: "legacy-mac", Justification: "known lab device", ApprovedBy: "secops@example.com", Expires: "2027-03-31", Ticket: "SEC-1"}
	for i, pv := range tv.Findings {
		if pv.ID == "rogue-mac" {
			pv.Waiver = w
			pv.Occurrences[0].Waiver = w
			tv.Waived = append(tv.Waived, pv)
			tv.Findings = append(tv.Findings[:i:i], tv.Findings[i+1:]...)
			break
		}
	}
	full := renderView(p)
	for _, m := range markers {
		if !strings.Contains(full, m) {
			t.Errorf("the page lacks %q", m)
		}
	}
	for _, want := range []string{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "no login banner on build hosts",
		"SHA256:abc123", "known lab device", "secops@example.com", "2027-03-31", "SEC-1"} {
		if !strings.Contains(full, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestDetailLimit: a detail value longer than maxDetailBytes is cut on a
// character boundary and says how much the JSON report still holds.
func TestDetailLimit(t *testing.T) {
	long := strings.Repeat("€", maxDetailBytes) // 3 bytes each: the limit falls inside one
	cut := maxDetailBytes - maxDetailBytes%3
	o := newOccurrence(report.Finding{Message: "m", Details: map[string]any{"evidence": long, "other": long, "short": 7}}, nil)
	for _, got := range []string{o.Evidence, o.Details[0].Value} {
		if !utf8.ValidString(got) {
			t.Errorf("cut inside a character: %q", got[len(got)-60:])
		}
		if want := fmt.Sprintf("… (%d more bytes in the JSON report)", len(long)-cut); !strings.HasSuffix(got, want) {
			t.Errorf("cut value ends %q, want %q", got[len(got)-60:], want)
		}
	}
	if o.Details[1] != (detail{Key: "short", Value: "7"}) {
		t.Errorf("short detail %+v", o.Details[1])
	}
}

// TestFindingWithoutPolicy: a finding whose policy the report does not
// list (a hand-made or trimmed report) still shows, under a section built
// from the finding.
func TestFindingWithoutPolicy(t *testing.T) {
	r := &report.Report{Findings: []report.Finding{
		{Bundle: "b", PolicyID: "p", Title: "T", Kind: report.Deny, Severity: report.SeverityHigh, Message: "one"},
		{Bundle: "b", PolicyID: "p", Title: "T", Kind: report.Deny, Severity: report.SeverityHigh, Message: "two"},
	}}
	p := buildPage("", "", []Input{{Report: r}})
	f := p.Targets[0].Findings
	if len(f) != 1 || f[0].ID != "p" || f[0].Status != "fail" || len(f[0].Occurrences) != 2 || p.Policies != 1 {
		t.Errorf("findings %+v (page counts %d policies), want one failing policy p with both occurrences", f, p.Policies)
	}
}

// TestUnlistedPolicy: findings of a policy the report does not list go
// under a failing policy made from the first of them, after the listed
// ones of worse severity, and are all shown.
func TestUnlistedPolicy(t *testing.T) {
	r := exportertest.CleanImage()
	f := report.Finding{Bundle: "extra", PolicyID: "unlisted", Title: "Not in the policy list", Kind: report.Deny,
		Severity: report.SeverityLow, Enforcement: report.Mandatory, Controls: []string{"X-9"}, Message: "first", Path: "/a"}
	g := f
	g.Title, g.Message, g.Path = "a later title", "second", "/b"
	r.Findings = []report.Finding{f, g}
	tv := buildPage("", "", []Input{{Report: r}}).Targets[0]
	if len(tv.Findings) != 1 || len(tv.Passed) != 1 {
		t.Fatalf("%d failing and %d passed policies, want 1 and 1", len(tv.Findings), len(tv.Passed))
	}
	p := tv.Findings[0]
	if p.Bundle != "extra" || p.ID != "unlisted" || p.Title != "Not in the policy list" || p.Status != "fail" ||
		p.Severity != "low" || !reflect.DeepEqual(p.Controls, []string{"X-9"}) {
		t.Errorf("policy %+v", p)
	}
	if len(p.Occurrences) != 2 || p.Occurrences[0].Message != "first" || p.Occurrences[1].Message != "second" {
		t.Errorf("occurrences %+v", p.Occurrences)
	}
}
