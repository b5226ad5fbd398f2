package main

import (
	"os"
	"path/filepath"
	"strings"
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

// TestPolicyDocsUpToDate keeps docs/policies/NAME.md equal to what assay doc
// writes for each built-in bundle policies/NAME: the pages are generated;
// regenerate them with `go run ./cmd/assay doc -b policies/NAME -o
// docs/policies`. Every other page there but README.md must be one of them.
func TestPolicyDocsUpToDate(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "policies", "*"))
	committed := filepath.Join("..", "..", "docs", "policies")
	generated := map[string]bool{"README.md": true}
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		out := t.TempDir()
		if _, stderr, code := execute(t, "doc", "-b", dir, "-o", out); code != 0 {
			t.Fatalf("assay doc -b %s exited %d: %s", dir, code, stderr)
		}
		pages, _ := filepath.Glob(filepath.Join(out, "*.md"))
		if len(pages) != 1 {
			t.Fatalf("assay doc -b %s wrote %d pages, want 1", dir, len(pages))
		}
		name := filepath.Base(pages[0])
		generated[name] = true
		want, _ := os.ReadFile(pages[0])
		got, err := os.ReadFile(filepath.Join(committed, name))
		if err != nil || string(got) != string(want) {
			t.Errorf("docs/policies/%s is out of date: run `go run ./cmd/assay doc -b policies/%s -o docs/policies`", name, filepath.Base(dir))
		}
	}
	existing, _ := filepath.Glob(filepath.Join(committed, "*.md"))
	for _, e := range existing {
		if !generated[filepath.Base(e)] {
			t.Errorf("docs/policies/%s is generated from no built-in bundle: remove it, or make it a bundle", filepath.Base(e))
		}
	}
}

// TestManPages: `assay docs --man` writes a page per visible command, dated
// by SOURCE_DATE_EPOCH, the same bytes on every run (make dist archives
// them and checks that two builds are identical).
func TestManPages(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000") // November 2023
	var runs [2]map[string]string
	for i := range runs {
		dir := t.TempDir()
		if code := run([]string{"docs", "--man", dir}); code != 0 {
			t.Fatalf("assay docs --man exited %d", code)
		}
		pages, _ := filepath.Glob(filepath.Join(dir, "*"))
		runs[i] = map[string]string{}
		for _, p := range pages {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			runs[i][filepath.Base(p)] = string(b)
		}
	}
	for _, tc := range []struct {
		page, want string
	}{
		{"assay.1", `.TH "ASSAY" "1" "Nov 2023" "assay `},
		{"assay-scan.1", `\fB--fail-on\fP`},
		{"assay-bundle-sign.1", `.TH "ASSAY-BUNDLE-SIGN" "1"`},
		{"assay-completion-bash.1", "bash"},
	} {
		if got, ok := runs[0][tc.page]; !ok || !strings.Contains(got, tc.want) {
			t.Errorf("%s: missing or without %q:\n%.300s", tc.page, tc.want, got)
		}
	}
	if _, ok := runs[0]["assay-docs.1"]; ok {
		t.Error("the hidden docs command has a man page")
	}
	if len(runs[0]) != len(runs[1]) {
		t.Fatalf("two runs wrote %d and %d pages", len(runs[0]), len(runs[1]))
	}
	for p, b := range runs[0] {
		if runs[1][p] != b {
			t.Errorf("%s differs between two runs", p)
		}
	}
}

// TestSchemaDocsUpToDate keeps docs/schemas equal to the schemas the binary
// embeds (core/schema); `make docs` regenerates it.
func TestSchemaDocsUpToDate(t *testing.T) {
	dir := t.TempDir()
	if code := run([]string{"schema", "--write-dir", dir}); code != 0 {
		t.Fatalf("assay schema --write-dir exited %d", code)
	}
	committed := filepath.Join("..", "..", "docs", "schemas")
	generated, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	existing, _ := filepath.Glob(filepath.Join(committed, "*.json"))
	if len(generated) == 0 || len(generated) != len(existing) {
		t.Errorf("docs/schemas has %d files, assay embeds %d: run `make docs`", len(existing), len(generated))
	}
	for _, g := range generated {
		want, _ := os.ReadFile(g)
		got, err := os.ReadFile(filepath.Join(committed, filepath.Base(g)))
		if err != nil || string(got) != string(want) {
			t.Errorf("docs/schemas/%s is out of date: run `make docs`", filepath.Base(g))
		}
	}
}
