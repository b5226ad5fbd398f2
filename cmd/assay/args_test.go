package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIsBundleDir: a directory is a bundle when HCL or Rego files are at
// its top, whatever glob metacharacters its name holds.
func TestIsBundleDir(t *testing.T) {
	root := t.TempDir()
	mk := func(dir string, files ...string) string {
		t.Helper()
		d := filepath.Join(root, dir)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(d, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	for _, tc := range []struct {
		name string
		dir  string
		want bool
	}{
		{"hcl", mk("a", "bundle.hcl"), true},
		{"rego", mk("b", "policy.rego"), true},
		{"glob characters in the name", mk("c[1]*?", "bundle.hcl"), true},
		{"glob characters, no bundle", mk("d[1]", "x.json"), false},
		{"neither", mk("e", "doc.yaml", "hcl"), false},
		{"only below the top", mk("f/sub", "bundle.hcl")[:len(root)+2], false},
		{"a file", filepath.Join(mk("g", "x.hcl"), "x.hcl"), false},
		{"missing", filepath.Join(root, "nope"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := isBundleDir(tc.dir); got != tc.want {
				t.Errorf("isBundleDir(%q) = %v, want %v", tc.dir, got, tc.want)
			}
		})
	}
}
