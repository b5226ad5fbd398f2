package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

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
