package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
)

// TestHoldAsText: a collected document is held as its JSON text, but for
// the kinds whose network facts the report reads, and one whose strings
// JSON would change (invalid UTF-8).
func TestHoldAsText(t *testing.T) {
	p := &Pipeline{Collectors: Builtin(report.Tool{Name: "assay"}).Collectors}
	file := document.Document{"kind": "file", "path": "/etc/x", "size": int64(3), "lines": []any{"a", "é"}, "match": map[string]any{"held": true}}
	for _, tc := range []struct {
		name   string
		doc    document.Document
		asText bool
	}{
		{"file", file, true},
		{"network interface", document.Document{"kind": "net.interface", "name": "eth0", "mac": "02:00:00:00:00:01"}, false},
		{"neighbor", document.Document{"kind": "net.neighbor", "ip": "10.0.0.1", "mac": "02:00:00:00:00:02"}, false},
		{"invalid UTF-8", document.Document{"kind": "file", "path": "/etc/\xff"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := document.Entry{Bundle: "b", CollectorID: "file.x", Document: tc.doc}
			p.holdAsText(&e)
			if (e.JSON != nil) != tc.asText || (e.Document == nil) != tc.asText {
				t.Fatalf("held as text: %v (document %v), want %v", e.JSON != nil, e.Document != nil, tc.asText)
			}
			if !tc.asText {
				return
			}
			var got, want map[string]any
			wantText, _ := json.Marshal(tc.doc)
			if err := json.Unmarshal(e.JSON, &got); err != nil {
				t.Fatal(err)
			}
			json.Unmarshal(wantText, &want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("text %s, want the document %s", e.JSON, wantText)
			}
		})
	}
}

// TestScanJudgesTextAsMaps: a scan's documents judged from their text give
// the report their maps gave, finding for finding.
func TestScanJudgesTextAsMaps(t *testing.T) {
	root, dir := t.TempDir(), t.TempDir()
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "home/ann/.ssh/authorized_keys"), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtuVP3cGqMAA5b1jm3f1GdEk2QkOBc2XUbYvTWLMz0i ann@a\nbad \xff\xfe line <&>\n")
	write(filepath.Join(root, "home/bob/.ssh/authorized_keys"), "from=\"10.0.0.0/8\",no-pty ssh-rsa AAAAB3 bob@b\n")
	write(filepath.Join(dir, "bundle.hcl"), `bundle "keys" {}
collect "file" "keys" {
  paths   = ["/home"]
  name    = "^authorized_keys$"
  capture = true
}
policy "lines" {
  input = [collect.file.keys]
  rego  = <<-EOT
    package keys.lines
    deny contains {"msg": sprintf("%s line %d of %d bytes, mode %s: %v", [input.path, i + 1, input.size, input.mode, l]), "line": i + 1} if {
      some i, l in input.content.lines
    }
  EOT
}
`)
	ctx := context.Background()
	s, err := Builtin(report.Tool{Name: "assay"}).NewScanner(ctx, ScanConfig{Bundles: []string{dir}, Target: TargetSpec{Root: root}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := s.Pipeline()
	judge := func(asText bool) []report.Finding {
		t.Helper()
		col := p.collect(ctx, asText)
		for _, d := range col.Documents {
			if (d.JSON != nil) != asText {
				t.Fatalf("asText %v: a document held as text: %v", asText, d.JSON != nil)
			}
		}
		r, err := p.evaluate(ctx, col, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r.Findings
	}
	maps, text := judge(false), judge(true)
	if len(maps) != 3 {
		t.Fatalf("%d findings from the maps, want 3: %v", len(maps), maps)
	}
	if !reflect.DeepEqual(maps, text) {
		t.Errorf("judged from text:\n%v\nfrom maps:\n%v", text, maps)
	}
}
