package bundle

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadFIFOs: named pipes where a bundle, or a file of one, is expected
// are refused with a diagnostic; opening one would block until a writer
// comes, which for a scan in CI is forever.
func TestLoadFIFOs(t *testing.T) {
	mkfifo := func(t *testing.T, path string) {
		t.Helper()
		if err := syscall.Mkfifo(path, 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
	}
	bundleDir := func(t *testing.T) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "bundle.hcl"), []byte("bundle \"b\" {}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	tests := []struct {
		name string
		make func(t *testing.T) string // returns the source to load
		want string
	}{
		{"archive", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "b.tar.gz")
			mkfifo(t, p)
			return p
		}, "Not a bundle"},
		{"hcl file", func(t *testing.T) string {
			dir := bundleDir(t)
			mkfifo(t, filepath.Join(dir, "pipe.hcl"))
			return dir
		}, "pipe.hcl is not a regular file"},
		{"rego file", func(t *testing.T) string {
			dir := bundleDir(t)
			mkfifo(t, filepath.Join(dir, "pipe.rego"))
			return dir
		}, "pipe.rego is not a regular file"},
		{"data file", func(t *testing.T) string {
			dir := bundleDir(t)
			if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
				t.Fatal(err)
			}
			mkfifo(t, filepath.Join(dir, "data", "pipe.json"))
			return dir
		}, "pipe.json is not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.make(t)
			done := make(chan string, 1)
			go func() {
				_, diags := testLoad(context.Background(), src)
				done <- diags.Error()
			}()
			select {
			case got := <-done:
				if !strings.Contains(got, tt.want) {
					t.Errorf("diagnostics %q lack %q", got, tt.want)
				}
			case <-time.After(10 * time.Second):
				// Unblock the goroutine so the test binary can end.
				if f, err := os.OpenFile(firstFIFO(t, src), os.O_WRONLY, 0); err == nil {
					f.Close()
				}
				t.Fatal("Load blocked on a FIFO")
			}
		})
	}
}

// firstFIFO finds the FIFO a test made under (or at) src.
func firstFIFO(t *testing.T, src string) string {
	var found string
	filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type()&os.ModeNamedPipe != 0 && found == "" {
			found = p
		}
		return nil
	})
	return found
}
