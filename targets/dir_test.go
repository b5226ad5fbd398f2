package targets_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/targets"
	"github.com/assay-dev/assay/targets/targettest"
)

// writeFixture builds targettest.Fixture under dir on the real filesystem.
func writeFixture(t *testing.T, dir string) {
	t.Helper()
	for _, e := range targettest.Fixture {
		p := filepath.Join(dir, e.Name)
		var err error
		switch e.Type {
		case "dir":
			err = os.Mkdir(p, e.Mode|0o700)
		case "file":
			err = os.WriteFile(p, []byte(e.Data), e.Mode)
			if err == nil {
				err = os.Chmod(p, e.Mode)
			}
		case "symlink":
			err = os.Symlink(e.Data, p)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "home/alice/fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestDirConformance(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir)
	tgt, err := targets.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	targettest.Validate(t, tgt, true)
}

func TestRelAbs(t *testing.T) {
	for _, tc := range []struct{ in, rel, abs string }{
		{"/etc/passwd", "etc/passwd", "/etc/passwd"},
		{"/", ".", "/"},
		{"", ".", "/"},
		{"/../../etc//shadow", "etc/shadow", "/etc/shadow"},
		{"relative/x", "relative/x", "/relative/x"},
	} {
		if got := target.Rel(tc.in); got != tc.rel {
			t.Errorf("Rel(%q) = %q, want %q", tc.in, got, tc.rel)
		}
		if got := target.Abs(target.Rel(tc.in)); got != tc.abs {
			t.Errorf("Abs(Rel(%q)) = %q, want %q", tc.in, got, tc.abs)
		}
	}
}
