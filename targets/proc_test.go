package targets_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/assay-dev/assay/internal/testenv"
	"github.com/assay-dev/assay/targets"
)

// readAll opens name on tgt and reads at most 64 KiB of it.
func readAll(tgt fs.FS, name string) ([]byte, error) {
	f, err := tgt.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64<<10))
}

// TestHostProc: a host scan reads what compliance checks read in /proc,
// and refuses what processes keep to themselves and the kernel's memory,
// however the path reaches it, unless the operator allows /proc.
func TestHostProc(t *testing.T) {
	// A link on the host into /proc: resolution, not the path's text, is
	// what the rules look at.
	links := t.TempDir()
	if err := os.Symlink("/proc/self", filepath.Join(links, "me")); err != nil {
		t.Fatal(err)
	}
	via := strings.TrimPrefix(links, "/") + "/me"
	tests := []struct {
		name    string
		refused bool // without --allow-proc
	}{
		{"proc/self/environ", true},
		{"proc/self/cmdline", true},
		{"proc/self/mem", true},
		{"proc/self/maps", true},
		{"proc/self/auxv", true},
		{"proc/thread-self/environ", true},
		{"proc/self/task/" + strconv.Itoa(unix.Gettid()) + "/environ", true},
		{"proc/" + strconv.Itoa(os.Getpid()) + "/cmdline", true},
		{via + "/environ", true},
		{"proc/kcore", true},
		{"proc/self/status", false},
		{"proc/self/mountinfo", false},
		{"proc/mounts", false},  // a link to self/mounts
		{"proc/net/dev", false}, // a link to self/net
		{"proc/sys/kernel/osrelease", false},
		{"proc/cmdline", false}, // the kernel's, not a process's
		{via + "/status", false},
	}
	for _, allow := range []bool{false, true} {
		var opts []targets.Option
		if allow {
			opts = append(opts, targets.AllowProc())
		}
		tgt, err := targets.Host(opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer tgt.Close()
		for _, tt := range tests {
			if _, err := os.Stat("/" + tt.name); errors.Is(err, fs.ErrNotExist) {
				continue // /proc/kcore is masked in some containers
			}
			_, err := readAll(tgt, tt.name)
			refused := errors.Is(err, targets.ErrProcRefused)
			if refused != (tt.refused && !allow) {
				t.Errorf("allow-proc %v: read %s: %v (want refused: %v)", allow, tt.name, err, tt.refused && !allow)
			}
			if refused && !strings.Contains(err.Error(), "--allow-proc") {
				t.Errorf("%s: the refusal does not say how to allow it: %v", tt.name, err)
			}
			// Metadata is not refused: a walk can say what it skipped.
			if _, err := tgt.Stat(tt.name); errors.Is(err, targets.ErrProcRefused) {
				t.Errorf("stat %s refused", tt.name)
			}
		}
		// The oracle: this process can read its own environment, so a
		// refusal above is the target's doing.
		if _, err := os.ReadFile("/proc/self/environ"); err != nil {
			t.Fatal(err)
		}
		if _, err := readAll(tgt, "proc/self/environ"); allow && err != nil {
			t.Errorf("--allow-proc: %v", err)
		}
		// The kernel log blocks its reader: never read.
		if _, err := readAll(tgt, "proc/kmsg"); !errors.Is(err, targets.ErrProcRefused) {
			t.Errorf("allow-proc %v: proc/kmsg: %v, want refused", allow, err)
		}
	}
}

func TestHostProcReadLink(t *testing.T) {
	tgt, err := targets.Host()
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	for _, tt := range []struct {
		name    string
		refused bool
	}{
		{"proc/self/exe", true},
		{"proc/self/cwd", true},
		{"proc/self/fd/0", true},
		{"proc/self", false},
		{"proc/self/ns/net", false},
	} {
		_, err := tgt.ReadLink(tt.name)
		if refused := errors.Is(err, targets.ErrProcRefused); refused != tt.refused {
			t.Errorf("readlink %s: %v (want refused: %v)", tt.name, err, tt.refused)
		}
	}
}

// TestRootProcMounted: a --root tree with a live procfs mounted in it (the
// host's / at /host in a DaemonSet) gets the host's rules; a --root tree
// whose proc holds plain files is read as any tree. The mount needs a user
// and PID namespace: the test runs itself again under unshare.
func TestRootProcMounted(t *testing.T) {
	if dir := os.Getenv("ASSAY_TEST_PROC_ROOT"); dir != "" {
		if err := unix.Mount("proc", filepath.Join(dir, "proc"), "proc", 0, ""); err != nil {
			t.Fatal(err)
		}
		tgt, err := targets.OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer tgt.Close()
		if _, err := readAll(tgt, "proc/1/environ"); !errors.Is(err, targets.ErrProcRefused) {
			t.Errorf("proc/1/environ of a mounted procfs: %v, want refused", err)
		}
		if _, err := readAll(tgt, "proc/1/status"); err != nil {
			t.Errorf("proc/1/status: %v", err)
		}
		return
	}
	testenv.RequireTool(t, "unshare", "util-linux")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", exe, "-test.run=^TestRootProcMounted$", "-test.v")
	cmd.Env = append(os.Environ(), "ASSAY_TEST_PROC_ROOT="+root)
	out, err := cmd.CombinedOutput()
	if err != nil && strings.HasPrefix(string(out), "unshare:") {
		testenv.Unavailable(t, "user namespaces: %s", out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("under unshare: %v\n%s", err, out)
	}

	// Plain files named like procfs's are the tree's content.
	plain := t.TempDir()
	if err := os.MkdirAll(filepath.Join(plain, "proc/1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(plain, "proc/1/environ"), []byte("A=b\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	tgt, err := targets.OpenDir(plain)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	if b, err := readAll(tgt, "proc/1/environ"); err != nil || string(b) != "A=b\x00" {
		t.Errorf("a plain proc/1/environ in a --root tree: %q, %v", b, err)
	}
}
