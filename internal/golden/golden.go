// Package golden compares test output with golden files, and rewrites them
// when the test runs with -update. Every package with golden files uses it,
// so `go test ./... -update` means the same everywhere.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

// Check compares got with testdata/NAME.
func Check(t *testing.T, name string, got []byte) {
	t.Helper()
	File(t, filepath.Join("testdata", name), got)
}

// File compares got with the golden file at path, or writes it there with
// -update (review the diff as you would code).
func File(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("output differs from %s (run with -update to accept it after review)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// Updating says whether the tests run with -update, for a test that
// writes a generated file its own way.
func Updating() bool { return *update }
