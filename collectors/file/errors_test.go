package file

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/target"
)

// TestPermissionDenied runs the walk as an unprivileged user: root reads
// everything, so when the test runs as root it re-executes itself as nobody.
func TestPermissionDenied(t *testing.T) {
	if os.Getenv("ASSAY_FILE_PERM_ROOT") != "" {
		permissionChild(t, os.Getenv("ASSAY_FILE_PERM_ROOT"))
		return
	}
	base, err := os.MkdirTemp("", "assay-file-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	must(t, os.Chmod(base, 0o755))
	root := filepath.Join(base, "t")
	writeTree(t, root, map[string]string{"open/ok.key": "k\n", "locked/hidden.key": "k\n", "open/secret.key": "k\n"})
	for _, d := range []string{root, filepath.Join(root, "open")} {
		must(t, os.Chmod(d, 0o755))
	}
	must(t, os.Chmod(filepath.Join(root, "open/ok.key"), 0o644))
	must(t, os.Chmod(filepath.Join(root, "locked"), 0o700))
	must(t, os.Chmod(filepath.Join(root, "open/secret.key"), 0o600))
	if os.Geteuid() != 0 {
		permissionChild(t, root)
		return
	}
	// Walk the parents too: t.TempDir's ancestors may be 0700.
	for p := base; p != "/"; p = filepath.Dir(p) {
		if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o001 == 0 {
			t.Skipf("%s is not searchable by nobody; cannot drop privileges for this test", p)
		}
	}
	// The test binary's own directory is private: run a copy.
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "file.test")
	must(t, os.WriteFile(bin, self, 0o755))
	cmd := exec.Command(bin, "-test.run=^TestPermissionDenied$", "-test.v")
	cmd.Dir = base
	cmd.Env = append(os.Environ(), "ASSAY_FILE_PERM_ROOT="+root)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "permission-check-ok") {
		t.Fatalf("child did not run the check:\n%s", out)
	}
}

func permissionChild(t *testing.T, root string) {
	rec := collect(t, mustCollector(t, `
  paths = ["/"]
  name = "\\.key$"
  content = "k"`), openDir(t, root))
	if got := rec.paths(); !reflect.DeepEqual(got, []string{"/open/ok.key"}) {
		t.Fatalf("documents %v", got)
	}
	reasons := map[string]string{}
	for _, s := range rec.skips {
		reasons[s.Path] = s.Reason
	}
	b, _ := json.Marshal(reasons)
	if len(reasons) != 2 || !strings.Contains(reasons["/locked"], "permission denied") || !strings.Contains(reasons["/open/secret.key"], "permission denied") {
		t.Fatalf("skips %s", b)
	}
	t.Log("permission-check-ok")
}

// mapTarget is an in-memory target, like an image: only the io/fs
// interfaces, no descriptors, no inode numbers.
type mapTarget struct{ fstest.MapFS }

func (mapTarget) Info() target.Info { return target.Info{Kind: target.KindImage, Name: "test"} }
func (mapTarget) Close() error      { return nil }

// Open refuses what is neither a file nor a directory, as targets do.
func (m mapTarget) Open(name string) (fs.File, error) {
	fi, err := m.MapFS.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: target.ErrNotRegular}
	}
	return m.MapFS.Open(name)
}

func TestFSWalk(t *testing.T) {
	tgt := mapTarget{fstest.MapFS{
		"etc/passwd":                            {Data: []byte("alice:x:1000:1000::/home/alice:/bin/sh\n")},
		"home/alice/.ssh/authorized_keys":       {Data: []byte(keyA + "\n" + rogue + "\n"), Mode: 0o600, ModTime: time.Unix(1e9, 0)},
		"home/bob/.ssh/authorized_keys":         {Data: []byte(keyB + "\n")},
		"home/bob/.ssh/link":                    {Data: []byte("../../alice/.ssh"), Mode: fs.ModeSymlink},
		"home/bob/.ssh/fifo":                    {Mode: fs.ModeNamedPipe},
		"home/carol/deep/a/b/c/authorized_keys": {Data: []byte(rogue + "\n")},
	}}
	rec := &recorder{}
	c := mustCollector(t, akSearch)
	if err := c.Collect(context.Background(), collector.Env{Target: tgt, Name: "t"}, rec); err != nil {
		t.Fatal(err)
	}
	want := []string{"/home/alice/.ssh/authorized_keys", "/home/carol/deep/a/b/c/authorized_keys"}
	if got := rec.paths(); !reflect.DeepEqual(got, want) {
		t.Errorf("image walk %v, want %v", got, want)
	}
	if d := rec.byPath(want[0]); d["mtime"] != "2001-09-09T01:46:40Z" || d["mode"] != "-rw-------" {
		t.Errorf("doc %v", d)
	}
	rec = &recorder{}
	c = mustCollector(t, `
  paths = ["/home"]
  follow_symlinks = true
  maxdepth = 4`)
	if err := c.Collect(context.Background(), collector.Env{Target: tgt, Name: "t"}, rec); err != nil {
		t.Fatal(err)
	}
	want = []string{"/home/alice/.ssh/authorized_keys", "/home/bob/.ssh/authorized_keys", "/home/bob/.ssh/link/authorized_keys"}
	if got := rec.paths(); !reflect.DeepEqual(got, want) {
		t.Errorf("followed %v, want %v", got, want)
	}
	if len(rec.skips) != 1 || rec.skips[0].Path != "/home/bob/.ssh/fifo" {
		t.Errorf("skips %v", rec.skips)
	}
}

// TestDanglingLink: a followed link to nothing is skipped as a dangling
// link, naming where it points, not as a file that vanished during the scan.
// Images give the same skip (cmd/assay's TestScanDanglingLink).
func TestDanglingLink(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"etc/passwd": "root:x:0:0::/root:/bin/sh\n"})
	must(t, os.Symlink("/usr/share/zoneinfo/Nowhere", filepath.Join(root, "etc/localtime")))
	must(t, os.Symlink("missing", filepath.Join(root, "etc/rel")))
	rec := &recorder{}
	c := mustCollector(t, `paths = ["/etc"]
  follow_symlinks = true`)
	if err := c.Collect(context.Background(), collector.Env{Target: openDir(t, root), Name: "t"}, rec); err != nil {
		t.Fatal(err)
	}
	want := []skipRec{
		{"/etc/localtime", "follow symlink: dangling link to /usr/share/zoneinfo/Nowhere"},
		{"/etc/rel", "follow symlink: dangling link to missing"},
	}
	sort.Slice(rec.skips, func(i, j int) bool { return rec.skips[i].Path < rec.skips[j].Path })
	if !reflect.DeepEqual(rec.skips, want) {
		t.Errorf("skips %v, want %v", rec.skips, want)
	}
}

func TestVanishedFile(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"v/gone": "x"})
	tgt := openDir(t, root)
	c := mustCollector(t, `paths = ["/v"]
  content = "x"`)
	rec := &recorder{}
	r := &run{s: c.s, t: tgt, emit: rec, ctx: context.Background(), users: &userDB{fsys: tgt}, debug: func(string, ...any) {}}
	r.startWorkers()
	must(t, os.Remove(filepath.Join(root, "v/gone")))
	// The walker saw the entry; it is gone by the time it is opened.
	r.visit("/v", "gone", 0, 1, fsHandle{tgt, "v/gone", nil}, false)
	close(r.jobs)
	r.wg.Wait()
	if len(rec.skips) != 1 || !strings.Contains(rec.skips[0].Reason, "vanished during the scan") {
		t.Errorf("skips %v", rec.skips)
	}
}
