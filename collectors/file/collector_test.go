package file

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	keyA  = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyAlice alice@laptop"
	keyB  = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQKeyBob bob@desk"
	rogue = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRogue evil@x"
)

// akSearch is the MIG documentation's authorized_keys investigation: every
// line must be a comment, blank, or one of the listed keys; report files
// where that does not hold.
const akSearch = `
  paths    = ["/home"]
  name     = "^authorized_keys2?$"
  content  = ["^((#.*)|(\\s*)|` + "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyAlice.*|ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQKeyBob.*" + `)$"]
  macroal  = true
  matchall = true
  mismatch = ["content"]
`

func TestAuthorizedKeysMismatch(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"home/alice/.ssh/authorized_keys":  "# alice\n" + keyA + "\n\n",
		"home/bob/.ssh/authorized_keys":    keyB + "\n" + rogue + "\n" + keyA + "\n",
		"home/carol/.ssh/authorized_keys":  "", // empty: no rogue key
		"home/dave/.ssh/authorized_keys2":  "#only a comment",
		"home/erin/.ssh/authorized_keys":   rogue, // no trailing newline
		"home/frank/.ssh/known_hosts":      rogue + "\n",
		"home/gina/.ssh/authorized_keys.d": "x\n",
	})
	rec := collect(t, mustCollector(t, akSearch), openDir(t, root))
	got := rec.paths()
	want := []string{"/home/bob/.ssh/authorized_keys", "/home/erin/.ssh/authorized_keys"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("matched %v, want %v", got, want)
	}
	bob := rec.byPath("/home/bob/.ssh/authorized_keys")
	mc := bob["match"].(map[string]any)["content"].(map[string]any)
	fm := mc["first_mismatch"].(map[string]any)
	if fm["line"] != int64(2) || fm["text"] != rogue {
		t.Errorf("first mismatch %v", fm)
	}
	if bob["matched"] != true || bob["type"] != "file" || bob["mode"] != "-rw-------" || bob["mode_octal"] != "0600" {
		t.Errorf("doc %v", bob)
	}
	if _, err := time.Parse(time.RFC3339, bob["mtime"].(string)); err != nil {
		t.Errorf("mtime %v", err)
	}
	if len(rec.skips) != 0 {
		t.Errorf("skips %v", rec.skips)
	}
}

func TestCriteria(t *testing.T) {
	root := t.TempDir()
	big := strings.Repeat("x", 20<<10)
	writeTree(t, root, map[string]string{
		"d/small.txt":     "hello\nworld\n",
		"d/big.txt":       big,
		"d/sub/deep.txt":  "hello\n",
		"d/sub/x/y/z.txt": "hello\n",
		"d/root.conf":     "PermitRootLogin no\n",
		"d/other.conf":    "PermitRootLogin yes\n",
	})
	old := time.Now().Add(-48 * time.Hour)
	must(t, os.Chtimes(filepath.Join(root, "d/small.txt"), old, old))
	must(t, os.Chmod(filepath.Join(root, "d/root.conf"), 0o644))
	sum := sha256.Sum256([]byte("hello\n"))
	hello := hex.EncodeToString(sum[:])
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"name only", `name = "\\.txt$"`, []string{"/d/big.txt", "/d/small.txt", "/d/sub/deep.txt", "/d/sub/x/y/z.txt"}},
		{"inverted name", `name = "!\\.txt$"`, []string{"/d/other.conf", "/d/root.conf"}},
		{"maxdepth 1", `maxdepth = 1`, []string{"/d/big.txt", "/d/other.conf", "/d/root.conf", "/d/small.txt"}},
		{"maxdepth 2", `maxdepth = 2
		  name = "\\.txt$"`, []string{"/d/big.txt", "/d/small.txt", "/d/sub/deep.txt"}},
		{"exclude", `exclude = ["/d/sub/x$"]
		  name = "\\.txt$"`, []string{"/d/big.txt", "/d/small.txt", "/d/sub/deep.txt"}},
		{"size >10k", `size = ">10k"`, []string{"/d/big.txt"}},
		{"size window", `size = [">1", "<11"]`, []string{"/d/sub/deep.txt", "/d/sub/x/y/z.txt"}},
		{"size mismatch", `size = "<10k"
		  mismatch = ["size"]`, []string{"/d/big.txt"}},
		{"mtime older", `mtime = ">1d"`, []string{"/d/small.txt"}},
		{"mtime newer", `mtime = "<1d"
		  name = "small|deep"`, []string{"/d/sub/deep.txt"}},
		{"mode", `mode = "^-rw-r--r--$"`, []string{"/d/root.conf"}},
		{"uid", `uid = [0]
		  name = "conf$"`, []string{"/d/other.conf", "/d/root.conf"}},
		{"uid mismatch", `uid = [0]
		  mismatch = ["owner"]`, nil},
		{"content any line", `content = "^PermitRootLogin yes"`, []string{"/d/other.conf"}},
		{"inverted content", `content = "!hello"
		  name = "\\.txt$"`, []string{"/d/big.txt"}},
		{"two contents matchall", `content = ["hello", "world"]`, []string{"/d/small.txt"}},
		{"two contents matchany", `content = ["world", "PermitRootLogin no"]
		  matchany = true`, []string{"/d/root.conf", "/d/small.txt"}},
		{"matchany name or content", `name = "^big"
		  content = "yes"
		  matchany = true`, []string{"/d/big.txt", "/d/other.conf"}},
		{"sha256 set", fmt.Sprintf(`sha256 = [%q, %q]`, hello, strings.Repeat("0", 64)), []string{"/d/sub/deep.txt", "/d/sub/x/y/z.txt"}},
		{"sha256 mismatch", fmt.Sprintf(`sha256 = [%q]
		  name = "\\.txt$"
		  mismatch = ["sha2"]`, hello), []string{"/d/big.txt", "/d/small.txt"}},
		{"macroal", `content = ["^(hello|world)$"]
		  macroal = true`, []string{"/d/small.txt", "/d/sub/deep.txt", "/d/sub/x/y/z.txt"}},
		{"glob path", `name = "txt"
		  paths = ["/d/s*"]`, []string{"/d/small.txt", "/d/sub/deep.txt", "/d/sub/x/y/z.txt"}},
		{"file path", `paths = ["/d/root.conf", "/d/missing"]`, []string{"/d/root.conf"}},
		{"overlapping roots", `paths = ["/d", "/d/sub"]
		  name = "deep"`, []string{"/d/sub/deep.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if !strings.Contains(body, "paths") {
				body = `paths = ["/d"]` + "\n" + body
			}
			rec := collect(t, mustCollector(t, body), openDir(t, root))
			if got := rec.paths(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("matched %v, want %v", got, tt.want)
			}
			if len(rec.skips) != 0 {
				t.Errorf("skips %v", rec.skips)
			}
		})
	}
}

func TestDocumentFields(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"etc/passwd":  "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n",
		"etc/group":   "root:x:0:\nalice:x:1000:\n",
		"srv/a.txt":   "one\ntwo\n\xff\xfebad\n",
		"srv/bin.dat": "a\x00b\n",
	})
	must(t, os.Chown(filepath.Join(root, "srv/a.txt"), 1000, 1000))
	rec := collect(t, mustCollector(t, `
  paths   = ["/srv"]
  capture = true
  content = ["^(one|two)$"]
  matchany = true
  report  = "all"
  hashes  = ["sha256", "md5", "sha3_256"]`), openDir(t, root))
	d := rec.byPath("/srv/a.txt")
	if d == nil {
		t.Fatalf("no document: %v", rec.paths())
	}
	if d["owner"] != "alice" || d["group"] != "alice" || d["uid"] != int64(1000) {
		t.Errorf("owner %v %v %v", d["owner"], d["group"], d["uid"])
	}
	content := d["content"].(map[string]any)
	if !reflect.DeepEqual(content["lines"], []any{"one", "two", "\uFFFDbad"}) || content["invalid_utf8"] != true || content["truncated"] != false {
		t.Errorf("content %v", content)
	}
	mc := d["match"].(map[string]any)["content"].(map[string]any)
	if !reflect.DeepEqual(mc["matched_lines"], []any{int64(1), int64(2)}) || mc["first_mismatch"].(map[string]any)["line"] != int64(3) {
		t.Errorf("match %v", mc)
	}
	sum := sha256.Sum256([]byte("one\ntwo\n\xff\xfebad\n"))
	if d["hashes"].(map[string]any)["sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("hashes %v", d["hashes"])
	}
	if rec.byPath("/srv/bin.dat") != nil {
		if b := rec.byPath("/srv/bin.dat")["content"].(map[string]any); b["binary"] != true || rec.byPath("/srv/bin.dat")["matched"] != false {
			t.Errorf("binary not flagged: %v", b)
		}
	} else {
		t.Error("bin.dat not reported")
	}
}

func TestCaptureBounds(t *testing.T) {
	root := t.TempDir()
	long := strings.Repeat("k", maxLineBytes+100)
	var many strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&many, "line %d\n", i)
	}
	writeTree(t, root, map[string]string{
		"a/long":  "short\n" + long + "\nafter\n",
		"a/many":  many.String(),
		"a/nonl":  "x",
		"a/empty": "",
	})
	rec := collect(t, mustCollector(t, `
  paths = ["/a"]
  capture = true
  max_content_bytes = 1000
  content = "^(short|after|line [0-9]+|x|k+)$"
  macroal = true`), openDir(t, root))
	long1 := rec.byPath("/a/long")
	if long1 == nil {
		t.Fatalf("long line file not matched: %v %v", rec.paths(), rec.skips)
	}
	if mc := long1["match"].(map[string]any)["content"].(map[string]any); mc["long_lines"] != true || mc["lines"] != int64(3) {
		t.Errorf("long line: %v", mc)
	}
	many1 := rec.byPath("/a/many")["content"].(map[string]any)
	if many1["truncated"] != true || len(many1["lines"].([]any)) == 0 || len(many1["lines"].([]any)) > 150 {
		t.Errorf("capture not bounded: %d lines, truncated %v", len(many1["lines"].([]any)), many1["truncated"])
	}
	if l := rec.byPath("/a/nonl")["content"].(map[string]any)["lines"]; !reflect.DeepEqual(l, []any{"x"}) {
		t.Errorf("last line without newline: %v", l)
	}
	if e := rec.byPath("/a/empty"); e == nil || e["matched"] != true {
		t.Errorf("empty file under macroal: %v", e)
	}
}

func TestDecompress(t *testing.T) {
	root := t.TempDir()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("secret=1\n"))
	zw.Close()
	writeTree(t, root, map[string]string{"l/old.log.gz": buf.String(), "l/new.log": "secret=2\n"})
	for _, tt := range []struct {
		decompress bool
		want       []string
	}{{false, []string{"/l/new.log"}}, {true, []string{"/l/new.log", "/l/old.log.gz"}}} {
		rec := collect(t, mustCollector(t, fmt.Sprintf(`
  paths = ["/l"]
  content = "^secret="
  decompress = %v
  hashes = ["sha256"]`, tt.decompress)), openDir(t, root))
		if got := rec.paths(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("decompress=%v: %v, want %v", tt.decompress, got, tt.want)
		}
		if d := rec.byPath("/l/old.log.gz"); d != nil {
			sum := sha256.Sum256(buf.Bytes())
			if d["hashes"].(map[string]any)["sha256"] != hex.EncodeToString(sum[:]) {
				t.Error("digest is not of the stored (compressed) bytes")
			}
		}
	}
}

func TestSpecialFilesAreSkippedNotRead(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"s/regular.key": "k\n"})
	must(t, syscall.Mkfifo(filepath.Join(root, "s/fifo.key"), 0o644))
	l, err := net.Listen("unix", filepath.Join(root, "s/sock.key"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	devOK := syscall.Mknod(filepath.Join(root, "s/null.key"), syscall.S_IFCHR|0o666, int(1<<8|3)) == nil
	must(t, os.Symlink("regular.key", filepath.Join(root, "s/link.key")))
	must(t, os.WriteFile(filepath.Join(root, "s/fifo.other"), nil, 0o644))

	done := make(chan *recorder)
	go func() {
		done <- collect(t, mustCollector(t, `
  paths = ["/s"]
  name = "\\.key$"
  content = "."`), openDir(t, root))
	}()
	var rec *recorder
	select {
	case rec = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("collect blocked on a special file")
	}
	want := []string{"/s/link.key", "/s/regular.key"}
	if got := rec.paths(); !reflect.DeepEqual(got, want) {
		t.Errorf("documents %v, want %v", got, want)
	}
	if l := rec.byPath("/s/link.key"); l["type"] != "symlink" || l["link"] != "regular.key" || l["matched"] != false {
		t.Errorf("link doc %v", l)
	}
	reasons := map[string]string{}
	for _, s := range rec.skips {
		reasons[s.Path] = s.Reason
	}
	wantSkips := map[string]string{"/s/fifo.key": "not a regular file: fifo", "/s/sock.key": "not a regular file: socket"}
	if devOK {
		wantSkips["/s/null.key"] = "not a regular file: chardevice"
	}
	if !reflect.DeepEqual(reasons, wantSkips) {
		t.Errorf("skips %v, want %v", reasons, wantSkips)
	}
}

func TestFollowSymlinks(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"home/alice/.ssh/authorized_keys": rogue + "\n",
		"etc/secret":                      "s\n",
		"data/real/keys":                  "k\n",
	})
	// A link to a directory elsewhere in the target, a loop, an absolute
	// link (resolved inside the root), and a link that tries to climb out.
	must(t, os.Symlink("/data/real", filepath.Join(root, "home/alice/linked")))
	must(t, os.Symlink("..", filepath.Join(root, "home/alice/loop")))
	must(t, os.Symlink("/etc/secret", filepath.Join(root, "home/alice/abs")))
	must(t, os.Symlink("../../../../../../../../etc/passwd", filepath.Join(root, "home/alice/climb")))
	body := `
  paths = ["/home"]
  follow_symlinks = %v
  capture = true`
	rec := collect(t, mustCollector(t, fmt.Sprintf(body, true)), openDir(t, root))
	want := []string{"/home/alice/.ssh/authorized_keys", "/home/alice/abs", "/home/alice/linked/keys"}
	if got := rec.paths(); !reflect.DeepEqual(got, want) {
		t.Errorf("followed: %v, want %v", got, want)
	}
	if got := rec.byPath("/home/alice/abs")["content"].(map[string]any)["lines"]; !reflect.DeepEqual(got, []any{"s"}) {
		t.Errorf("absolute link read %v, want the target's /etc/secret", got)
	}
	var loop, climb bool
	for _, s := range rec.skips {
		loop = loop || (s.Path == "/home/alice/loop" && strings.Contains(s.Reason, "loop"))
		climb = climb || s.Path == "/home/alice/climb"
	}
	if !loop || !climb {
		t.Errorf("skips %v: want the loop and the missing /etc/passwd of the target reported", rec.skips)
	}

	rec = collect(t, mustCollector(t, fmt.Sprintf(body, false)), openDir(t, root))
	for _, p := range []string{"/home/alice/linked", "/home/alice/loop", "/home/alice/abs"} {
		if d := rec.byPath(p); d == nil || d["type"] != "symlink" {
			t.Errorf("%s: %v", p, d)
		}
	}
	if rec.byPath("/home/alice/linked/keys") != nil || len(rec.skips) != 0 {
		t.Errorf("not following: %v %v", rec.paths(), rec.skips)
	}
}

func TestDeepNesting(t *testing.T) {
	root := fastTempDir(t)
	// 10,000 levels: deeper than PATH_MAX allows to name from the root, and
	// than a descriptor per level would allow under a low limit.
	dir, err := os.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	fd := int(dir.Fd())
	const depth = 10000
	for i := range depth {
		if i == 5000 {
			// a side branch half way down, so ancestors must be reopened
			must(t, syscall.Mkdirat(fd, "side", 0o755))
			sfd, err := syscall.Openat(fd, "side", syscall.O_DIRECTORY, 0)
			must(t, err)
			wfd, err := syscall.Openat(sfd, "found", syscall.O_CREAT|syscall.O_WRONLY, 0o644)
			must(t, err)
			syscall.Close(wfd)
			syscall.Close(sfd)
		}
		must(t, syscall.Mkdirat(fd, "d", 0o755))
		nfd, err := syscall.Openat(fd, "d", syscall.O_DIRECTORY, 0)
		must(t, err)
		if fd != int(dir.Fd()) {
			syscall.Close(fd)
		}
		fd = nfd
	}
	wfd, err := syscall.Openat(fd, "found", syscall.O_CREAT|syscall.O_WRONLY, 0o644)
	must(t, err)
	syscall.Close(wfd)
	syscall.Close(fd)
	dir.Close()
	t.Cleanup(func() { os.RemoveAll(root) })

	rec := collect(t, mustCollector(t, `
  paths = ["/"]
  name = "^found$"`), openDir(t, root))
	if len(rec.docs) != 2 || len(rec.skips) != 0 {
		t.Fatalf("%d documents, skips %v", len(rec.docs), rec.skips)
	}
	for _, d := range rec.docs {
		if n := strings.Count(d.Path(), "/d"); n != depth && n != 5000 {
			t.Errorf("path depth %d", n)
		}
	}
}

func TestMaxErrors(t *testing.T) {
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "f"), 0o755))
	for i := range 10 {
		must(t, syscall.Mkfifo(filepath.Join(root, "f", fmt.Sprintf("p%d", i)), 0o644))
	}
	rec := collect(t, mustCollector(t, `
  paths = ["/f"]
  maxerrors = 3`), openDir(t, root))
	if len(rec.skips) != 4 || !strings.Contains(rec.skips[3].Reason, "7 more errors not reported") {
		t.Errorf("skips %v", rec.skips)
	}
}

func TestPseudoFilesystemsSkipped(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"proc/1/status": "x\n", "sys/k": "x\n", "dev/shm/x": "x\n", "etc/x": "x\n"})
	rec := collect(t, mustCollector(t, `paths = ["/"]`), openDir(t, root))
	if got := rec.paths(); !reflect.DeepEqual(got, []string{"/etc/x"}) {
		t.Errorf("walk of / reported %v", got)
	}
	rec = collect(t, mustCollector(t, `paths = ["/proc"]`), openDir(t, root))
	if got := rec.paths(); !reflect.DeepEqual(got, []string{"/proc/1/status"}) {
		t.Errorf("named /proc: %v", got)
	}
}

func TestSparseAndTooLarge(t *testing.T) {
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "v"), 0o755))
	f, err := os.Create(filepath.Join(root, "v/sparse"))
	must(t, err)
	must(t, f.Truncate(8<<30)) // 8 GiB of holes
	f.Close()
	writeTree(t, root, map[string]string{"v/small": "abc"})
	start := time.Now()
	rec := collect(t, mustCollector(t, `
  paths = ["/v"]
  hashes = ["sha256"]
  max_file_size = "1M"`), openDir(t, root))
	if time.Since(start) > 10*time.Second {
		t.Error("sparse file was read")
	}
	if got := rec.paths(); !reflect.DeepEqual(got, []string{"/v/small"}) {
		t.Errorf("documents %v", got)
	}
	if len(rec.skips) != 1 || rec.skips[0].Path != "/v/sparse" || !strings.Contains(rec.skips[0].Reason, "max_file_size") {
		t.Errorf("skips %v", rec.skips)
	}
	rec = collect(t, mustCollector(t, `paths = ["/v"]`), openDir(t, root))
	if d := rec.byPath("/v/sparse"); d == nil || d["sparse"] != true || d["size"] != int64(8<<30) {
		t.Errorf("sparse doc %v", d)
	}
}

// fastTempDir is a temporary directory on tmpfs when there is one: creating
// 10,000 nested directories on a journaling disk takes seconds.
func fastTempDir(t *testing.T) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "assay-file-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}
