package file

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/assay-dev/assay/internal/testenv"
)

// TestMillionEntries walks one directory of a million entries: the walker
// streams getdents(2) and keeps no list of a directory's entries, so it
// finishes with the one match and nothing skipped. The entries are hard
// links to one file, which makes the tree cheap to build.
func TestMillionEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a directory of 1,000,000 entries; skipped with -short")
	}
	root := t.TempDir()
	big := filepath.Join(root, "big")
	must(t, os.Mkdir(big, 0o755))
	const entries, linksPerSeed = 1_000_000, 60_000 // ext4 allows 65,000 links a file
	var seed string
	for i := range entries - 1 {
		if i%linksPerSeed == 0 {
			seed = filepath.Join(root, fmt.Sprintf("seed%02d", i/linksPerSeed))
			must(t, os.WriteFile(seed, []byte("hay\n"), 0o644))
		}
		if err := os.Link(seed, filepath.Join(big, fmt.Sprintf("f%07d", i))); err != nil {
			t.Skipf("cannot build the directory here (%v)", err)
		}
	}
	must(t, os.WriteFile(filepath.Join(big, "needle"), []byte("needle\n"), 0o644))

	c := mustCollector(t, `paths = ["/big"]
  name = "^needle$"
  content = "^needle$"`)
	rec := collect(t, c, openDir(t, root))
	if got := rec.paths(); len(got) != 1 || got[0] != "/big/needle" {
		t.Errorf("documents %v, want only /big/needle", got)
	}
	if len(rec.skips) != 0 {
		t.Errorf("skips %v", rec.skips[:min(3, len(rec.skips))])
	}
}

// TestGrowingFile reads a file that another process keeps appending to: the
// read is bounded by max_file_size, so the scan ends and says what happened
// instead of chasing the writer.
func TestGrowingFile(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "log/app.log")
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	f, err := os.Create(p)
	must(t, err)
	defer f.Close()
	chunk := []byte(strings.Repeat("x", 1023) + "\n")
	for range 256 { // start at 256 KiB
		_, err := f.Write(chunk)
		must(t, err)
	}
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			if _, err := f.Write(chunk); err != nil {
				return
			}
		}
	}()
	defer func() { stop.Store(true); <-done }()

	c := mustCollector(t, `paths = ["/log"]
  content = "^x+$"
  max_file_size = "4M"
  hashes = ["sha256"]`)
	finished := make(chan *recorder, 1)
	go func() { finished <- collect(t, c, openDir(t, root)) }()
	select {
	case rec := <-finished:
		if len(rec.docs)+len(rec.skips) != 1 {
			t.Fatalf("documents %v, skips %v: want the file reported once, as a document or a skip", rec.paths(), rec.skips)
		}
		if len(rec.docs) == 1 {
			if size, _ := rec.docs[0]["size"].(int64); size < 256*1024 {
				t.Errorf("size %v, want at least what was there before the scan", rec.docs[0]["size"])
			}
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the scan chased a growing file for a minute")
	}
}

// TestOneFilesystem stays on the filesystem of each search root: a tmpfs
// mounted inside the tree is not entered with one_filesystem, and is
// without it.
func TestOneFilesystem(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"data/here.key": "k", "data/mnt/.keep": ""})
	mnt := filepath.Join(root, "data/mnt")
	testenv.RequireRoot(t, "mounts a tmpfs inside the tree")
	testenv.RequireCapability(t, testenv.CapSysAdmin, "mounts a tmpfs inside the tree")
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		testenv.Unavailable(t, "cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(mnt, unix.MNT_DETACH) })
	must(t, os.WriteFile(filepath.Join(mnt, "there.key"), []byte("k"), 0o644))
	for _, tc := range []struct {
		body string
		want []string
	}{
		{`paths = ["/data"]
  name = "\\.key$"
  one_filesystem = true`, []string{"/data/here.key"}},
		{`paths = ["/data"]
  name = "\\.key$"`, []string{"/data/here.key", "/data/mnt/there.key"}},
	} {
		rec := collect(t, mustCollector(t, tc.body), openDir(t, root))
		if got := rec.paths(); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: documents %v, want %v", tc.body, got, tc.want)
		}
	}
}
