package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCLIDocsUpToDate keeps docs/cli/ equal to what the commands say about
// themselves; `make docs` regenerates it.
func TestCLIDocsUpToDate(t *testing.T) {
	dir := t.TempDir()
	if code := run([]string{"docs", dir}); code != 0 {
		t.Fatalf("assay docs exited %d", code)
	}
	committed := filepath.Join("..", "..", "docs", "cli")
	generated, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	existing, _ := filepath.Glob(filepath.Join(committed, "*.md"))
	if len(generated) != len(existing) {
		t.Errorf("docs/cli has %d files, the commands make %d: run `make docs`", len(existing), len(generated))
	}
	for _, g := range generated {
		want, _ := os.ReadFile(g)
		got, err := os.ReadFile(filepath.Join(committed, filepath.Base(g)))
		if err != nil || string(got) != string(want) {
			t.Errorf("docs/cli/%s is out of date: run `make docs`", filepath.Base(g))
		}
	}
}
