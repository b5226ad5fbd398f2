package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/exporters/sarif"
)

// TestWaivedSARIFIsValid scans the demo root filesystem with a waiver and
// validates the SARIF against the official 2.1.0 schema: the waived result
// carries an accepted external suppression with the justification, the
// others none.
func TestWaivedSARIFIsValid(t *testing.T) {
	schemaPath := exportertest.SharedSchema(t, "sarif-schema-2.1.0.json")
	dir := t.TempDir()
	waivers := filepath.Join(dir, "waivers.hcl")
	if err := os.WriteFile(waivers, []byte(`waiver "legacy-root-login" {
  policy        = "ssh-baseline/sshd-permit-root-login"
  paths         = ["/etc/ssh/sshd_config"]
  justification = "Break-glass host; key-only root, reviewed quarterly"
  approved_by   = "secops@example.com"
  expires       = "2027-03-31"
  ticket        = "SEC-1234"
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "assay.sarif")
	demo := filepath.Join("..", "..", "examples", "demo", "rootfs")
	if code := run([]string{"scan", "--root", demo, "--waivers", waivers, "--now", "2026-06-01", "-f", "sarif=" + out}); code != 1 {
		t.Fatalf("scan exited %d, want 1 (other findings remain)", code)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource(sarif.SchemaURI, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(sarif.SchemaURI)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("not valid SARIF 2.1.0: %v", err)
	}

	var log struct {
		Runs []struct {
			Results []struct {
				RuleID       string `json:"ruleId"`
				Suppressions []struct {
					Kind, Status, Justification string
				}
			}
			Properties map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(raw, &log); err != nil {
		t.Fatal(err)
	}
	suppressed := 0
	for _, r := range log.Runs[0].Results {
		if len(r.Suppressions) == 0 {
			continue
		}
		suppressed++
		s := r.Suppressions[0]
		if r.RuleID != "ssh-baseline/sshd-permit-root-login" || s.Kind != "external" || s.Status != "accepted" ||
			s.Justification != "Break-glass host; key-only root, reviewed quarterly" {
			t.Errorf("%s suppressed with %+v", r.RuleID, s)
		}
	}
	if suppressed != 1 {
		t.Errorf("%d suppressed results, want 1", suppressed)
	}
	for _, k := range []string{"assay/scores", "assay/waivers"} {
		if _, ok := log.Runs[0].Properties[k]; !ok {
			t.Errorf("run properties lack %s", k)
		}
	}
}

// TestServeWaivers: assay serve applies the waiver files, publishes each
// waiver's expiry, re-reads them on SIGHUP, and keeps the waivers it has
// when the new files have a mistake.
func TestServeWaivers(t *testing.T) {
	dir := t.TempDir()
	waivers := filepath.Join(dir, "waivers.hcl")
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "waivers", "demo.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(waivers, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(string(example))
	demo := filepath.Join("..", "..", "examples", "demo", "rootfs")
	base, stderr := serveInProcess(t, "--root", demo, "--waivers", waivers, "--now", "2026-12-03", "--interval", "10ms", "--scan-timeout", "10s")

	const (
		rootExpiry  = `assay_waiver_expiry_timestamp_seconds{waiver="root-login-break-glass"} `
		rootWaived  = `assay_findings_waived{bundle="ssh-baseline",enforcement="mandatory",kind="deny",policy="sshd-permit-root-login",policy_severity="high"} `
		rootCounted = `assay_findings{bundle="ssh-baseline",enforcement="mandatory",kind="deny",policy="sshd-permit-root-login",policy_severity="high"} `
	)
	// waitFor scrapes until ok holds for the text, or fails after 20s.
	waitFor := func(what string, ok func(text string) bool) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			text, err := scrape(t, base)
			if err == nil && ok(text) {
				return text
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 20s (%v):\n%.4000s\nstderr:\n%.3000s", what, err, text, stderr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	text := waitFor("the waivers applied", func(text string) bool { return metricValue(text, rootWaived) == "1" })
	v, err := strconv.ParseFloat(metricValue(text, rootExpiry), 64)
	if want := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC).Unix(); err != nil || int64(v) != want {
		t.Errorf("%s%v (%v), want %d", rootExpiry, v, err, want)
	}
	if got := metricValue(text, rootCounted); got != "0" {
		t.Errorf("%s%s, want 0: the waived finding is counted", rootCounted, got)
	}

	// A mistake: the reload fails and the waivers already loaded stay.
	write(strings.Replace(string(example), `  justification = "Break-glass`, `  reason = "Break-glass`, 1))
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr.String(), "reload failed") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if log := stderr.String(); !strings.Contains(log, "reload failed") || !strings.Contains(log, "Missing justification") {
		t.Fatalf("the log does not say the reload failed on the waiver file:\n%.3000s", log)
	}
	if text, err := scrape(t, base); err != nil || metricValue(text, rootWaived) != "1" {
		t.Errorf("after a failed reload: %s%q (%v), want 1", rootWaived, metricValue(text, rootWaived), err)
	}

	// Without the root-login waiver, its finding counts again.
	deploy, _, _ := strings.Cut(string(example), "# Root logs in")
	write(deploy)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	text = waitFor("the root-login waiver gone", func(text string) bool {
		return metricValue(text, rootCounted) == "1" && !strings.Contains(text, rootExpiry)
	})
	if got := metricValue(text, rootWaived); got != "0" {
		t.Errorf("%s%s, want 0", rootWaived, got)
	}
}
