package pipeline_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/pipeline"
	"github.com/assay-dev/assay/pipeline/waiver"
)

const oneWaiver = `waiver "w" {
  policy        = "b/p"
  justification = "j"
  approved_by   = "a"
  expires       = "2026-12-01"
}
`

// TestLoadWaivers: files that cannot be waiver files are usage errors that
// name them, read within the limit and never blocking; mistakes are
// diagnostics (exit code 2).
func TestLoadWaivers(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo.hcl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	bundles := []*bundle.Bundle{{Name: "b", Policies: []*bundle.Policy{{ID: "p"}}}}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	env := pipeline.Builtin(report.Tool{Name: "assay"})
	for _, tc := range []struct {
		name    string
		file    string
		waivers int
		err     string // "" for none
		diag    bool   // a *DiagnosticsError
	}{
		{"good", write("good.hcl", oneWaiver), 1, "", false},
		{"too large", write("big.hcl", strings.Repeat(" ", waiver.MaxFileSize+1)), 0, "big.hcl: larger than the 4 MiB limit of a waiver file: split it, or waive with patterns", false},
		{"missing", filepath.Join(dir, "none.hcl"), 0, "none.hcl: no such file or directory", false},
		{"a directory", dir, 0, ": a directory: want a waiver file (HCL)", false},
		{"a FIFO nobody writes to", fifo, 0, "", false},
		{"unknown policy", write("unknown.hcl", strings.Replace(oneWaiver, "b/p", "b/q", 1)), 0, "the waiver files have errors", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var (
				set *waiver.Set
				err error
			)
			go func() {
				defer close(done)
				set, err = env.LoadWaivers(pipeline.WaiverOptions{Files: []string{tc.file}, MaxDays: 365, Now: now}, bundles)
			}()
			select {
			case <-done:
			case <-time.After(time.Minute):
				t.Fatal("LoadWaivers hangs")
			}
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(set.Waivers) != tc.waivers {
					t.Errorf("%d waivers, want %d", len(set.Waivers), tc.waivers)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || exitcode.Of(err, 0) != exitcode.Usage {
				t.Fatalf("error %v (exit code %d), want one with %q and exit code 2", err, exitcode.Of(err, 0), tc.err)
			}
			var de *pipeline.DiagnosticsError
			if errors.As(err, &de) != tc.diag {
				t.Errorf("diagnostics: %v, want %v", errors.As(err, &de), tc.diag)
			}
		})
	}
}
