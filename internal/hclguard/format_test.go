package hclguard

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// TestFormatIsHCLWrite: Format writes what hclwrite.Format writes.
func TestFormatIsHCLWrite(t *testing.T) {
	paths, _ := filepath.Glob("../../bundle/format/testdata/*.hcl")
	more, _ := filepath.Glob("../../policies/*/bundle.hcl")
	paths = append(paths, more...)
	if len(paths) < 3 {
		t.Fatalf("found %d files", len(paths))
	}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		got, diags := Format(src, p, Limits{})
		if diags.HasErrors() {
			t.Fatalf("%s: %s", p, diags)
		}
		if want := hclwrite.Format(src); !bytes.Equal(got, want) {
			t.Errorf("%s: Format differs from hclwrite.Format", p)
		}
	}
}

// TestFormatBoundsOutput: hclwrite aligns the = of neighbouring lines on
// the longest name, so one long name makes every line that wide.
func TestFormatBoundsOutput(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{"aligned names", strings.Repeat("k", 10_000) + " = 1\n" + strings.Repeat("a = 1\n", 200)},
		{"aligned comments", "x = \"" + strings.Repeat("k", 10_000) + "\" # c\n" + strings.Repeat("a = 1 # c\n", 200)},
		{"indentation", strings.Repeat("a {\n", 200) + strings.Repeat("x = 1\n", 4000) + strings.Repeat("}\n", 200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(hclwrite.Format([]byte(tt.src))) <= 1<<20 {
				t.Fatal("the case does not grow beyond 1 MiB")
			}
			out, diags := Format([]byte(tt.src), "f.hcl", Limits{MaxBytes: 1 << 20})
			if out != nil || len(diags) != 1 || diags[0].Summary != "Formatted file too large" {
				t.Fatalf("got %d bytes, %v", len(out), diags)
			}
		})
	}
}
