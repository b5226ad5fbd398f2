package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/core/exitcode"
)

// runFmt runs `assay fmt args…` and returns its exit code and output.
func runFmt(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	root := newRootCmd()
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs(append([]string{"fmt"}, args...))
	err := root.ExecuteContext(context.Background())
	return exitcode.Of(err, exitcode.Usage), stdout.String(), stderr.String()
}

func TestFmtCommand(t *testing.T) {
	dir := t.TempDir()
	messy := "policy \"p\" {\nrego=file(\"p.rego\")\n}\n"
	clean := "policy \"p\" {\n  rego = file(\"p.rego\")\n}\n"
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	write("bundle.hcl", messy)
	write("p.rego", "package p\n\ndeny contains \"x\" if false\n")

	code, out, _ := runFmt(t, "--check", "--diff", dir)
	if code != 1 || !strings.Contains(out, "bundle.hcl") || !strings.Contains(out, "+  rego = file") || strings.Contains(out, filepath.Join(dir, "p.rego")+"\n") {
		t.Errorf("--check on a messy bundle: code %d, output:\n%s", code, out)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "bundle.hcl")); string(got) != messy {
		t.Error("--check wrote the file")
	}

	if code, out, _ := runFmt(t, dir); code != 0 || !strings.Contains(out, "bundle.hcl") {
		t.Errorf("fmt: code %d, output %q", code, out)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "bundle.hcl"))
	if string(got) != clean {
		t.Errorf("formatted file:\n%s", got)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "bundle.hcl")); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640 kept", fi.Mode().Perm())
	}
	if code, out, _ := runFmt(t, "--check", dir); code != 0 || out != "" {
		t.Errorf("--check on a clean bundle: code %d, output %q", code, out)
	}

	write("broken.rego", "package broken\n\ndeny contains msg if {\n")
	code, _, errOut := runFmt(t, "--check", dir)
	if code != 2 || !strings.Contains(errOut, "broken.rego:4") {
		t.Errorf("broken Rego: code %d, stderr %q", code, errOut)
	}
	if code, _, _ := runFmt(t, filepath.Join(dir, "missing")); code != 2 {
		t.Errorf("missing path: code %d", code)
	}
}

// TestRepositoryBundlesFormatted keeps the shipped bundles (policies/) and
// the examples canonical: `assay fmt --check` on them is what users run in CI.
func TestRepositoryBundlesFormatted(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "policies", "*"))
	examples, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*"))
	var bundles []string
	for _, d := range append(dirs, examples...) {
		// The conftest parity corpus holds policies as users wrote them for
		// conftest, some broken on purpose: its cases compare refusals too.
		if filepath.Base(d) == "conftest-parity" {
			continue
		}
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			bundles = append(bundles, d)
		}
	}
	if len(bundles) == 0 {
		t.Fatal("no bundle directories found under policies/ and examples/")
	}
	code, out, errOut := runFmt(t, append([]string{"--check", "--diff"}, bundles...)...)
	if code != 0 {
		t.Errorf("assay fmt --check exited %d: run `assay fmt` on:\n%s%s", code, out, errOut)
	}
}
