package pipeline_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/pipeline"
)

// TestReloadRereadsOverlays: a reload (assay serve's SIGHUP) reads the
// overlay files again; a file broken since keeps the previous tailoring
// and says where the mistake is.
func TestReloadRereadsOverlays(t *testing.T) {
	root := t.TempDir()
	dir := t.TempDir()
	write := func(name, src string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bundleDir := filepath.Join(dir, "tun")
	if err := os.Mkdir(bundleDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "hostname"), []byte("web-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	write("tun/bundle.hcl", `bundle "tun" {}
collect "file" "hostname" {
  paths = ["/"]
  name  = "^hostname$"
}
param "limit" {
  type    = number
  default = 5
}
policy "p" {
  input = [collect.file.hostname]
  rego  = <<-EOT
    package tun.p
    deny contains sprintf("limit %v", [data.assay.params.tun.limit]) if data.assay.params.tun.limit < 5
  EOT
}
`)
	overlay := write("o.hcl", "overlay \"o\" {\n  bundle \"tun\" {\n    params = { limit = 5 }\n  }\n}\n")
	env := pipeline.Builtin(report.Tool{Name: "assay"})
	ctx := context.Background()
	s, err := env.NewScanner(ctx, pipeline.ScanConfig{Bundles: []string{bundleDir}, Target: pipeline.TargetSpec{Root: root}, Overlays: []string{overlay}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	scan := func() *report.Report {
		t.Helper()
		r, err := s.Scan(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := scan(); len(r.Findings) != 0 || r.Tailoring.Empty() {
		t.Fatalf("before: findings %v, tailoring %+v", r.Findings, r.Tailoring)
	}

	write("o.hcl", "overlay \"o\" {\n  bundle \"tun\" {\n    params = { limit = 2 }\n  }\n}\n")
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	r := scan()
	if len(r.Findings) != 1 || r.Findings[0].Message != "limit 2" {
		t.Fatalf("after reload: findings %v", r.Findings)
	}
	sha := r.Tailoring.Overlays[0].SHA256

	write("o.hcl", "overlay \"o\" {\n  bundle \"tun\" {\n    params = { limit = \"1\" }\n  }\n}\n")
	err = s.Reload(ctx)
	var de *pipeline.DiagnosticsError
	if !errors.As(err, &de) || !strings.Contains(de.Diags.Error(), "o.hcl:3,24") {
		t.Fatalf("reload of a broken overlay: %v", err)
	}
	if r := scan(); len(r.Findings) != 1 || r.Tailoring.Overlays[0].SHA256 != sha {
		t.Errorf("a failed reload changed the tailoring: %v %+v", r.Findings, r.Tailoring)
	}
}

// TestOverlaySeverityOverAnnotations: a severity an overlay sets is the
// one the policy reports, even where its Rego's METADATA names another:
// the tailoring records the change, so the findings must carry it. Both
// an implicit bundle (plain Rego) and an HCL bundle whose policy takes
// its severity from METADATA, set to info, the zero severity.
func TestOverlaySeverityOverAnnotations(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("imp/p.rego", "# METADATA\n# custom:\n#   severity: high\npackage imp.p\n\ndeny contains \"x\" if false\n")
	write("hb/bundle.hcl", `bundle "hb" {}
policy "q" {
  rego = <<-EOT
    # METADATA
    # custom:
    #   severity: high
    package hb.q
    deny contains "y" if false
  EOT
}
`)
	overlay := write("o.hcl", `overlay "o" {
  bundle "imp" {
    policy "imp.p" { severity = "low" }
  }
  bundle "hb" {
    policy "q" { severity = "info" }
  }
}
`)
	env := pipeline.Builtin(report.Tool{Name: "assay"})
	ctx := context.Background()
	s, err := env.NewScanner(ctx, pipeline.ScanConfig{Bundles: []string{filepath.Join(dir, "imp"), filepath.Join(dir, "hb")},
		Target: pipeline.TargetSpec{Root: t.TempDir()}, Overlays: []string{overlay}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]report.Severity{}
	for _, p := range r.Policies {
		got[p.Bundle+"/"+p.ID] = p.Severity
	}
	want := map[string]report.Severity{"imp/imp.p": report.SeverityLow, "hb/q": report.SeverityInfo}
	for name, sev := range want {
		if got[name] != sev {
			t.Errorf("%s reports severity %s; the overlay set %s", name, got[name], sev)
		}
	}
	if n := len(r.Tailoring.Severities); n != 2 {
		t.Errorf("%d severity changes recorded, want 2", n)
	}
}
