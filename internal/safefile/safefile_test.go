package safefile

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// leftovers lists the temporary files left in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	left, err := filepath.Glob(filepath.Join(dir, "*"+TempMarker+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return left
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

// TestWrite: what Write does with each kind of thing at the final name.
// The rule: a regular file or a symbolic link is replaced by a rename
// (the link itself, never its target); a directory, device, FIFO or socket
// is refused. It replaces TestWriteSpecialFiles, which wrote a FIFO in
// place and a link's target: as root, a link planted in /tmp made
// `-o /tmp/report.json` replace /etc files and write onto block devices.
func TestWrite(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares dir and returns the path to write.
		setup   func(t *testing.T, dir string) string
		perm    os.FileMode
		wantErr string
		// check runs after the write; path is what was written.
		check func(t *testing.T, dir, path string)
	}{
		{
			name:  "new file",
			setup: func(t *testing.T, dir string) string { return filepath.Join(dir, "report.json") },
			perm:  0o644,
			check: wantFile("new", 0o644),
		},
		{
			name:  "new file, missing parents created",
			setup: func(t *testing.T, dir string) string { return filepath.Join(dir, "a", "b", "report.json") },
			perm:  0o644,
			check: wantFile("new", 0o644),
		},
		{
			name:  "new file with a 255-byte name",
			setup: func(t *testing.T, dir string) string { return filepath.Join(dir, strings.Repeat("r", 250)+".json") },
			perm:  0o644,
			check: wantFile("new", 0o644),
		},
		{
			name:  "a cache file asks 0600",
			setup: func(t *testing.T, dir string) string { return filepath.Join(dir, "meta") },
			perm:  0o600,
			check: wantFile("new", 0o600),
		},
		{
			name:  "existing 0640 stays 0640",
			setup: existing(0o640),
			perm:  0o644,
			check: wantFile("new", 0o640),
		},
		{
			name:  "existing 0600 stays 0600",
			setup: existing(0o600),
			perm:  0o644,
			check: wantFile("new", 0o600),
		},
		{
			name:  "existing 0777 gets the stricter 0644",
			setup: existing(0o777),
			perm:  0o644,
			check: wantFile("new", 0o644),
		},
		{
			name: "symlink to a victim file: the link is replaced, the victim untouched",
			setup: func(t *testing.T, dir string) string {
				victim := filepath.Join(dir, "victim")
				must(t, os.WriteFile(victim, []byte("secret"), 0o640))
				must(t, os.Symlink(victim, filepath.Join(dir, "report.json")))
				return filepath.Join(dir, "report.json")
			},
			perm: 0o644,
			check: func(t *testing.T, dir, path string) {
				wantFile("new", 0o644)(t, dir, path)
				wantFile("secret", 0o640)(t, dir, filepath.Join(dir, "victim"))
			},
		},
		{
			name: "dangling symlink: the link is replaced, its target never created",
			setup: func(t *testing.T, dir string) string {
				must(t, os.Symlink(filepath.Join(dir, "victim"), filepath.Join(dir, "report.json")))
				return filepath.Join(dir, "report.json")
			},
			perm: 0o644,
			check: func(t *testing.T, dir, path string) {
				wantFile("new", 0o644)(t, dir, path)
				if _, err := os.Lstat(filepath.Join(dir, "victim")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the link's target was created: %v", err)
				}
			},
		},
		{
			name: "symlink to a device: the link is replaced, the device untouched",
			setup: func(t *testing.T, dir string) string {
				must(t, os.Symlink("/dev/null", filepath.Join(dir, "report.sarif")))
				return filepath.Join(dir, "report.sarif")
			},
			perm: 0o644,
			check: func(t *testing.T, dir, path string) {
				wantFile("new", 0o644)(t, dir, path)
				if m := mode(t, "/dev/null"); m&os.ModeCharDevice == 0 {
					t.Errorf("/dev/null is now %v", m)
				}
			},
		},
		{
			name: "symlink to a directory: the link is replaced",
			setup: func(t *testing.T, dir string) string {
				must(t, os.Mkdir(filepath.Join(dir, "d"), 0o755))
				must(t, os.Symlink("d", filepath.Join(dir, "out")))
				return filepath.Join(dir, "out")
			},
			perm: 0o644,
			check: func(t *testing.T, dir, path string) {
				wantFile("new", 0o644)(t, dir, path)
				if entries, _ := os.ReadDir(filepath.Join(dir, "d")); len(entries) != 0 {
					t.Errorf("written into the link's directory: %v", entries)
				}
			},
		},
		{
			name: "FIFO refused, never opened",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "out.prom")
				must(t, syscall.Mkfifo(p, 0o644))
				return p
			},
			perm:    0o644,
			wantErr: "is a named pipe (FIFO): assay writes files by replacing them",
			check:   wantMode(os.ModeNamedPipe),
		},
		{
			name: "socket refused",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "out.sock")
				l, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
				must(t, err)
				l.SetUnlinkOnClose(false)
				l.Close()
				return p
			},
			perm:    0o644,
			wantErr: "is a socket",
			check:   wantMode(os.ModeSocket),
		},
		{
			name:    "character device refused",
			setup:   func(t *testing.T, dir string) string { return "/dev/full" },
			perm:    0o644,
			wantErr: "/dev/full is a character device",
			check:   wantMode(os.ModeDevice | os.ModeCharDevice),
		},
		{
			name: "directory refused",
			setup: func(t *testing.T, dir string) string {
				must(t, os.Mkdir(filepath.Join(dir, "out"), 0o755))
				return filepath.Join(dir, "out")
			},
			perm:    0o644,
			wantErr: "is a directory: give a file name",
			check:   wantMode(os.ModeDir),
		},
		{
			name:    "a directory name (trailing slash) refused",
			setup:   func(t *testing.T, dir string) string { return dir + "/out/" },
			perm:    0o644,
			wantErr: "is a directory",
			check: func(t *testing.T, dir, path string) {
				if _, err := os.Lstat(filepath.Join(dir, "out")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("something was created: %v", err)
				}
			},
		},
		{
			name:  "/dev/null is written in place",
			setup: func(t *testing.T, dir string) string { return "/dev/null" },
			perm:  0o644,
			check: wantMode(os.ModeDevice | os.ModeCharDevice),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			checkErr := Check(path)
			err := Write(path, tt.perm, writeString("new"))
			if tt.wantErr == "" {
				if err != nil || checkErr != nil {
					t.Fatalf("Write: %v; Check: %v", err, checkErr)
				}
			} else {
				for _, err := range []error{err, checkErr} {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Errorf("got %v, want an error with %q", err, tt.wantErr)
					}
					var nr *NotRegularError
					if !errors.As(err, &nr) {
						t.Errorf("%v is not a *NotRegularError", err)
					}
				}
			}
			tt.check(t, dir, path)
			if left := leftovers(t, dir); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// existing makes dir/report.json, a regular file with mode m.
func existing(m os.FileMode) func(t *testing.T, dir string) string {
	return func(t *testing.T, dir string) string {
		p := filepath.Join(dir, "report.json")
		must(t, os.WriteFile(p, []byte("old"), 0o600))
		must(t, os.Chmod(p, m))
		return p
	}
}

// wantFile requires a regular file holding content with permissions perm.
func wantFile(content string, perm os.FileMode) func(t *testing.T, dir, path string) {
	return func(t *testing.T, dir, path string) {
		t.Helper()
		if m := mode(t, path); !m.IsRegular() || m.Perm() != perm {
			t.Errorf("%s: mode %v, want a regular file %v", path, m, perm)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Errorf("%s holds %q, want %q", path, b, content)
		}
	}
}

// wantMode requires the path's type to be unchanged.
func wantMode(typ os.FileMode) func(t *testing.T, dir, path string) {
	return func(t *testing.T, dir, path string) {
		t.Helper()
		if m := mode(t, path); m.Type() != typ {
			t.Errorf("%s is now %v, want type %v", path, m, typ)
		}
	}
}

// TestWriteStreams: "-", /dev/stdout and /dev/stderr are the process's
// own streams, written in place.
func TestWriteStreams(t *testing.T) {
	for _, tt := range []struct {
		name   string
		stream **os.File
	}{
		{"-", &os.Stdout},
		{"/dev/stdout", &os.Stdout},
		{"/dev/stderr", &os.Stderr},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "captured"))
			must(t, err)
			defer f.Close()
			saved := *tt.stream
			*tt.stream = f
			err = Write(tt.name, 0o644, writeString("report"))
			*tt.stream = saved
			must(t, err)
			if b, _ := os.ReadFile(f.Name()); string(b) != "report" {
				t.Errorf("the stream got %q", b)
			}
			if !InPlace(tt.name) || Check(tt.name) != nil {
				t.Errorf("%s is not written in place", tt.name)
			}
		})
	}
}

// TestWriteFailure: a failed write leaves the destination as it was and
// no temporary file.
func TestWriteFailure(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.json")
	must(t, os.WriteFile(p, []byte("old"), 0o644))
	boom := errors.New("exporter failed")
	err := Write(p, 0o644, func(w io.Writer) error {
		io.WriteString(w, "half")
		if left := leftovers(t, dir); len(left) != 1 {
			t.Errorf("during the write: %v, want one temporary file", left)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want the write's error", err)
	}
	wantFile("old", 0o644)(t, dir, p)
	if left := leftovers(t, dir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestTempName: temporary names are hidden, marked, within NAME_MAX, and
// never end in the target's extension (node_exporter reads *.prom).
func TestTempName(t *testing.T) {
	shape := regexp.MustCompile(`^\.(.*)\.assay-tmp-[0-9a-f]{12}$`)
	for _, base := range []string{
		"assay.prom",
		"report.json",
		"bundle-1.0.tar.gz",
		strings.Repeat("x", 255),
		strings.Repeat("é", 127) + ".prom", // 259 bytes: cut on a rune boundary
	} {
		name := tempName(base)
		m := shape.FindStringSubmatch(name)
		switch {
		case m == nil:
			t.Errorf("%q: temporary name %q has not the shape .NAME.assay-tmp-RANDOM", base, name)
		case !strings.HasPrefix(base, m[1]):
			t.Errorf("%q: temporary name %q does not start with the name", base, name)
		case len(name) > 255:
			t.Errorf("%q: temporary name is %d bytes, over NAME_MAX", base, len(name))
		case !utf8.ValidString(name):
			t.Errorf("%q: temporary name %q is not UTF-8", base, name)
		case filepath.Ext(base) != "" && strings.HasSuffix(name, filepath.Ext(base)):
			t.Errorf("%q: temporary name %q ends in the extension", base, name)
		}
		if name == tempName(base) {
			t.Errorf("%q: two temporary names are equal", base)
		}
	}
}

// TestCleanup: Cleanup, as on a signal, removes a temporary file being
// written, the write then fails without replacing anything, and no later
// write starts.
func TestCleanup(t *testing.T) {
	t.Cleanup(func() {
		pending.Lock()
		pending.closed = false
		pending.Unlock()
	})
	dir := t.TempDir()
	p := filepath.Join(dir, "assay.prom")
	must(t, os.WriteFile(p, []byte("old"), 0o644))
	err := Write(p, 0o644, func(w io.Writer) error {
		io.WriteString(w, "half")
		Cleanup()
		if left := leftovers(t, dir); len(left) != 0 {
			t.Errorf("Cleanup left %v", left)
		}
		return nil
	})
	if err == nil {
		t.Error("a write whose temporary file was removed succeeded")
	}
	wantFile("old", 0o644)(t, dir, p)
	if err := WriteBytes(p, 0o644, []byte("late")); !errors.Is(err, ErrInterrupted) {
		t.Errorf("a write after Cleanup: %v, want ErrInterrupted", err)
	}
	wantFile("old", 0o644)(t, dir, p)
	if left := leftovers(t, dir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestDirWrite: files written into an opened directory never go through a
// link planted inside it, in a subdirectory or at the name.
func TestDirWrite(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, out, victim string)
		file    string
		wantErr string
	}{
		{name: "new subdirectory", file: "rego/mig.rego"},
		{
			name: "a subdirectory that is a planted link",
			setup: func(t *testing.T, out, victim string) {
				must(t, os.Symlink(victim, filepath.Join(out, "rego")))
			},
			file:    "rego/mig.rego",
			wantErr: "rego is a symbolic link: assay never writes through a link it did not create",
		},
		{
			name: "a subdirectory that is a file",
			setup: func(t *testing.T, out, victim string) {
				must(t, os.WriteFile(filepath.Join(out, "rego"), nil, 0o644))
			},
			file:    "rego/mig.rego",
			wantErr: "rego is not a directory",
		},
		{
			name: "a planted link at the name is replaced",
			setup: func(t *testing.T, out, victim string) {
				must(t, os.Symlink(filepath.Join(victim, "x"), filepath.Join(out, "bundle.hcl")))
			},
			file: "bundle.hcl",
		},
		{name: "a name outside", file: "../escape.hcl", wantErr: "not a file name inside"},
		{name: "an absolute name", file: "/etc/escape.hcl", wantErr: "not a file name inside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, victim := filepath.Join(t.TempDir(), "out"), t.TempDir()
			d, err := OpenDir(out)
			must(t, err)
			defer d.Close()
			if tt.setup != nil {
				tt.setup(t, out, victim)
			}
			err = d.WriteBytes(tt.file, 0o644, []byte("new"))
			if tt.wantErr == "" {
				must(t, err)
				wantFile("new", 0o644)(t, out, filepath.Join(out, tt.file))
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error with %q", err, tt.wantErr)
			}
			if entries, _ := os.ReadDir(victim); len(entries) != 0 {
				t.Errorf("written outside the directory: %v", entries)
			}
		})
	}
}
