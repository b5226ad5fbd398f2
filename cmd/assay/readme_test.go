package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeFirstPolicy runs the README's first bundle as written: it must
// be canonical (assay fmt --check) and find the demo root's DSA key.
func TestReadmeFirstPolicy(t *testing.T) {
	bundle := readmeBlock(t, "# my-bundle/bundle.hcl\n", "first-policy bundle")
	dir := filepath.Join(t.TempDir(), "my-bundle")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bundle.hcl"), []byte(bundle), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"fmt", "--check", dir}); code != 0 {
		t.Errorf("assay fmt --check on the README bundle exited %d: it is not canonical", code)
	}
	out := filepath.Join(t.TempDir(), "report.json")
	demo := filepath.Join("..", "..", "examples", "demo", "rootfs")
	if code := run([]string{"scan", "-b", dir, "--root", demo, "-f", "json=" + out}); code != 1 {
		t.Fatalf("scan exited %d, want 1 (a violation)", code)
	}
	report, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"message": "DSA keys are not allowed"`, `"path": "/root/.ssh/authorized_keys"`, `"line": 3`} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report lacks %s", want)
		}
	}
}

// TestReadmeOverlay applies the README's own overlay as written: it must
// load against the built-in bundles and disable the banner policy.
func TestReadmeOverlay(t *testing.T) {
	overlay := readmeBlock(t, "overlay \"acme-lab\" {\n", "overlay")
	file := filepath.Join(t.TempDir(), "acme-lab.hcl")
	if err := os.WriteFile(file, []byte(overlay), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report.json")
	demo := filepath.Join("..", "..", "examples", "demo", "rootfs")
	if code := run([]string{"scan", "--root", demo, "--overlay", file, "-f", "json=" + out}); code != 1 {
		t.Fatalf("scan exited %d, want 1", code)
	}
	report, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name": "acme-lab"`, `"policy": "sshd-banner"`, `"reason": "lab hosts show no banner (SEC-12)"`} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report lacks %s", want)
		}
	}
}

// readmeBlock is the text of the README's code block from marker, the
// block's first line, to the block's end; what names it when it is not
// there.
func readmeBlock(t *testing.T, marker, what string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i := strings.Index(text, marker)
	if i < 0 {
		t.Fatalf("README.md has no %s", what)
	}
	end := strings.Index(text[i:], "```")
	if end < 0 {
		t.Fatalf("README.md's %s does not end", what)
	}
	return text[i : i+end]
}
