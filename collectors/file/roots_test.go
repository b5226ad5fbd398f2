package file

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"
)

// TestSearchRoots: every kind of search root is opened confined to the
// target and without blocking, whether the fast openat2 path or the
// target's own Open takes it: directories, links to directories (absolute,
// and climbing past the root, both resolved inside it), files, FIFOs,
// paths through a file, and paths that do not exist.
func TestSearchRoots(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"home/alice/.ssh/authorized_keys": "k\n",
		"etc/ak":                          "e\n",
	})
	must(t, os.Symlink("/home/alice/.ssh", filepath.Join(root, "abs")))
	must(t, os.Symlink("../../../../../../etc", filepath.Join(root, "climb")))
	must(t, syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	tests := []struct {
		path      string
		docs      []string
		skipPaths []string
	}{
		{"/home/alice/.ssh", []string{"/home/alice/.ssh/authorized_keys"}, nil},
		{"/home/alice/.ssh/", []string{"/home/alice/.ssh/authorized_keys"}, nil},
		{"/", []string{"/abs", "/climb", "/etc/ak", "/home/alice/.ssh/authorized_keys"}, []string{"/fifo"}},
		{"/abs", []string{"/abs/authorized_keys"}, nil},
		{"/climb", []string{"/climb/ak"}, nil},
		{"/home/alice/.ssh/authorized_keys", []string{"/home/alice/.ssh/authorized_keys"}, nil},
		{"/fifo", nil, []string{"/fifo"}},
		{"/etc/ak/sub", nil, []string{"/etc/ak/sub"}},
		{"/missing", nil, nil},
		{"/home/nobody/.ssh", nil, nil},
	}
	tgt := openDir(t, root)
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			done := make(chan *recorder)
			go func() { done <- collect(t, mustCollector(t, fmt.Sprintf("paths = [%q]\nmaxdepth = 4", tt.path)), tgt) }()
			var rec *recorder
			select {
			case rec = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("collect blocked")
			}
			if got := rec.paths(); !reflect.DeepEqual(got, tt.docs) {
				t.Errorf("documents %v, want %v", got, tt.docs)
			}
			var skips []string
			for _, s := range rec.skips {
				skips = append(skips, s.Path)
			}
			if !reflect.DeepEqual(skips, tt.skipPaths) {
				t.Errorf("skips %v, want %v", rec.skips, tt.skipPaths)
			}
		})
	}
}
