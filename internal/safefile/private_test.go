package safefile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/testenv"
)

// TestMkdirPrivate: the bundle cache is written only into a directory that
// nobody but this user and root can change, whatever was planted on the
// way to it.
func TestMkdirPrivate(t *testing.T) {
	const nobody = 65534
	tests := []struct {
		name string
		root bool // needs root, to give files to another user
		// setup returns the path to make private.
		setup   func(t *testing.T, dir string) string
		wantErr string
	}{
		{
			name:  "new",
			setup: func(t *testing.T, dir string) string { return filepath.Join(dir, "cache", "bundles", "0123") },
		},
		{
			name: "existing, 0700",
			setup: func(t *testing.T, dir string) string {
				must(t, os.Mkdir(filepath.Join(dir, "c"), 0o700))
				return filepath.Join(dir, "c")
			},
		},
		{
			name: "under a sticky world-writable directory, as /tmp",
			setup: func(t *testing.T, dir string) string {
				must(t, os.Mkdir(filepath.Join(dir, "tmp"), 0o755))
				must(t, os.Chmod(filepath.Join(dir, "tmp"), os.ModeSticky|0o777))
				return filepath.Join(dir, "tmp", "assay-cache", "bundles")
			},
		},
		{
			name: "through this user's link",
			setup: func(t *testing.T, dir string) string {
				must(t, os.Mkdir(filepath.Join(dir, "real"), 0o700))
				must(t, os.Symlink("real", filepath.Join(dir, "link")))
				return filepath.Join(dir, "link", "bundles")
			},
		},
		{
			name: "writable by others",
			setup: func(t *testing.T, dir string) string {
				must(t, os.Mkdir(filepath.Join(dir, "c"), 0o700))
				must(t, os.Chmod(filepath.Join(dir, "c"), 0o777))
				return filepath.Join(dir, "c")
			},
			wantErr: "c is writable by others (mode 0777): chmod go-w",
		},
		{
			name: "inside a directory writable by others, not sticky",
			setup: func(t *testing.T, dir string) string {
				must(t, os.Mkdir(filepath.Join(dir, "shared"), 0o755))
				must(t, os.Chmod(filepath.Join(dir, "shared"), 0o777))
				return filepath.Join(dir, "shared", "assay-cache", "bundles")
			},
			wantErr: "shared, writable by others (mode 0777) and not sticky",
		},
		{
			name: "owned by another user",
			root: true,
			setup: func(t *testing.T, dir string) string {
				must(t, os.Mkdir(filepath.Join(dir, "c"), 0o700))
				must(t, os.Chown(filepath.Join(dir, "c"), nobody, nobody))
				return filepath.Join(dir, "c")
			},
			wantErr: "c is owned by uid 65534, not by this user",
		},
		{
			name: "inside a directory of another user",
			root: true,
			setup: func(t *testing.T, dir string) string {
				must(t, os.Mkdir(filepath.Join(dir, "theirs"), 0o755))
				must(t, os.Chown(filepath.Join(dir, "theirs"), nobody, nobody))
				must(t, os.Mkdir(filepath.Join(dir, "theirs", "c"), 0o700))
				return filepath.Join(dir, "theirs", "c")
			},
			wantErr: "theirs, owned by uid 65534",
		},
		{
			name: "through another user's link in a sticky directory",
			root: true,
			setup: func(t *testing.T, dir string) string {
				tmp := filepath.Join(dir, "tmp")
				must(t, os.Mkdir(tmp, 0o755))
				must(t, os.Chmod(tmp, os.ModeSticky|0o777))
				must(t, os.Mkdir(filepath.Join(dir, "etc"), 0o755))
				must(t, os.Symlink(filepath.Join(dir, "etc"), filepath.Join(tmp, "assay-cache")))
				must(t, os.Lchown(filepath.Join(tmp, "assay-cache"), nobody, nobody))
				return filepath.Join(tmp, "assay-cache", "bundles")
			},
			wantErr: "assay-cache is a symbolic link owned by uid 65534",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root {
				testenv.RequireRoot(t, "to give files to another user")
			}
			path := tt.setup(t, t.TempDir())
			err := MkdirPrivate(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			must(t, err)
			if m := mode(t, path+"/."); !m.IsDir() || m.Perm()&0o077 != 0 {
				t.Errorf("%s: mode %v", path, m)
			}
		})
	}
}
