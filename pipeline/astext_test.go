package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/engine"
)

// deep is a list nested n deep.
func deep(n int) any {
	var v any = "bottom"
	for range n {
		v = []any{v}
	}
	return v
}

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
		{"invalid UTF-8 in a name", document.Document{"kind": "file", "m": map[string]any{"\xff": 1}}, false},
		{"invalid UTF-8 in a list", document.Document{"kind": "file", "l": []string{"a", "\xfe"}}, false},
		{"invalid UTF-8 in a map of strings", document.Document{"kind": "file", "m": map[string]string{"a": "b", "c": "\xfe"}}, false},
		{"invalid UTF-8 in a name of a map of strings", document.Document{"kind": "file", "m": map[string]string{"\xfe": "b"}}, false},
		// Every type held as text, with what JSON escapes in a string and
		// several entries to each list and map.
		{"every plain type", document.Document{"kind": "file", "t": true, "f": false, "null": nil, "int": -3, "int64": int64(math.MaxInt64),
			"s":  "quote \" backslash \\ newline \n tab \t nul \x00 <&> \u2028 é",
			"ss": []string{"a", "b\"c", ""}, "ms": map[string]string{"x": "1", "y\n": "2", "": "3"},
			"l": []any{1, "a", []any{}, map[string]any{}, []any{nil, false}},
			"m": map[string]any{"a": map[string]any{"b": []string{"c"}, "d": map[string]string{}}, "e\"": int64(-1)}}, true},
		// InterfaceToValue writes 1e+06, JSON 1000000: sprintf would differ.
		{"a float", document.Document{"kind": "file", "ratio": 1e6}, false},
		// InterfaceToValue converts other types through encoding/json:
		// a nil []int is null there, [] in JSON v2.
		{"another type", document.Document{"kind": "file", "ports": []int(nil)}, false},
		{"nested deeper than the engine decodes", document.Document{"kind": "file", "deep": deep(engine.MaxJSONDepth)}, false},
		{"nested within it", document.Document{"kind": "file", "deep": deep(engine.MaxJSONDepth - 2)}, true},
		{"nil lists and maps", document.Document{"kind": "file", "a": []any(nil), "s": []string(nil), "m": map[string]any(nil), "ms": map[string]string(nil)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := document.Entry{Bundle: "b", CollectorID: "file.x", Document: tc.doc}
			p.holdAsText(&e, &textHolding{kinds: map[string]bool{}})
			if (e.JSON != nil) != tc.asText || (e.Document == nil) != tc.asText {
				t.Fatalf("held as text: %v (document %v), want %v", e.JSON != nil, e.Document != nil, tc.asText)
			}
			if !tc.asText {
				return
			}
			if _, err := engine.CheckJSON(e.JSON); err != nil {
				t.Fatalf("the engine refuses the text: %v", err)
			}
			// The Rego value of the text is the Rego value of the map.
			want, err := ast.InterfaceToValue(map[string]any(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ast.ValueFromReader(bytes.NewReader(e.JSON))
			if err != nil {
				t.Fatal(err)
			}
			if got.Compare(want) != 0 {
				t.Errorf("text %s is %v, want the document's %v", e.JSON, got, want)
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

// BenchmarkHoldAsText holds 1,000 collected documents as text, each of
// the shape and size (about 700 bytes) of a user's authorized_keys file
// as the file collector captures it.
//
//	go test -run XXX -bench HoldAsText ./pipeline/
func BenchmarkHoldAsText(b *testing.B) {
	p := &Pipeline{Collectors: Builtin(report.Tool{Name: "assay"}).Collectors}
	docs := make([]document.Document, 1000)
	for i := range docs {
		docs[i] = document.Document{"kind": "file", "path": fmt.Sprintf("/home/u%d/.ssh/authorized_keys", i), "size": int64(400), "mode": "0600",
			"owner":   map[string]any{"uid": int64(1000 + i), "name": fmt.Sprintf("u%d", i)},
			"content": map[string]any{"lines": []any{"ssh-ed25519 " + strings.Repeat("A", 68) + " u@h", `from="10.0.0.0/8" ssh-rsa ` + strings.Repeat("B", 372) + " x@y"}},
			"tags":    []string{"a", "b"}, "labels": map[string]string{"x": "y"}}
	}
	h := &textHolding{kinds: map[string]bool{}}
	for b.Loop() {
		for _, d := range docs {
			e := document.Entry{Document: d}
			p.holdAsText(&e, h)
		}
	}
}
