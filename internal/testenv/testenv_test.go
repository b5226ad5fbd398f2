package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeTB records how a helper ended the test. Fatalf and Skipf stop the
// calling goroutine, as the real ones do, so code after them never runs.
type fakeTB struct {
	testing.TB // nil: calling anything not overridden panics
	outcome    string
	msg        string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.outcome, f.msg = "fail", fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.outcome, f.msg = "skip", fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Logf(format string, args ...any) { f.msg = fmt.Sprintf(format, args...) }

// run calls fn with a fake TB in its own goroutine and reports how it
// ended: "fail", "skip", or "pass" (fn returned).
func run(fn func(testing.TB)) (outcome, msg string) {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
		f.outcome = "pass"
	}()
	<-done
	return f.outcome, f.msg
}

func TestRequire(t *testing.T) {
	// An executable found only in the sbin fallback, with PATH empty.
	sbin := t.TempDir()
	if err := os.WriteFile(filepath.Join(sbin, "fake-sbin-tool"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	oldSbin, oldEuid, oldStatus := sbinDirs, geteuid, statusFile
	sbinDirs = []string{filepath.Join(sbin, "nothing-here"), sbin}
	t.Cleanup(func() { sbinDirs, geteuid, statusFile = oldSbin, oldEuid, oldStatus })

	status := func(capEff string) string {
		p := filepath.Join(t.TempDir(), "status")
		if err := os.WriteFile(p, []byte("Name:\ttest\nCapPrm:\t000001ffffffffff\nCapEff:\t"+capEff+"\nCapBnd:\t000001ffffffffff\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// CapEff of root in a container without CAP_SYS_ADMIN (bit 21).
	noSysAdmin := status(fmt.Sprintf("%016x", uint64(0x1ffffffffff)&^(1<<21)))
	full := status("000001ffffffffff")

	const missingMsg = "assay-no-such-tool not installed: apt-get install assay-pkg (make test installs it via .ci/install-deps.sh)"
	requireMissing := func(tb testing.TB) { RequireTool(tb, "assay-no-such-tool", "assay-pkg") }
	for _, tc := range []struct {
		name    string
		ci      string // value of CI
		path    string // value of PATH
		euid    int
		status  string
		fn      func(testing.TB)
		outcome string
		msg     string // the whole message, or "~substring"
	}{
		{name: "missing tool fails in CI", ci: "true", fn: requireMissing, outcome: "fail", msg: missingMsg},
		{name: "missing tool skips outside CI", ci: "", fn: requireMissing, outcome: "skip", msg: missingMsg},
		{name: "CI=false is not CI", ci: "false", fn: requireMissing, outcome: "skip", msg: missingMsg},
		{name: "tool in PATH", ci: "true", fn: func(tb testing.TB) {
			if p := RequireTool(tb, "sh", "dash"); !filepath.IsAbs(p) {
				tb.Fatalf("path %q", p)
			}
		}, outcome: "pass"},
		{name: "tool in sbin, not in PATH", ci: "true", path: "/nonexistent", fn: func(tb testing.TB) {
			if p := RequireTool(tb, "fake-sbin-tool", "fake"); p != filepath.Join(sbin, "fake-sbin-tool") {
				tb.Fatalf("path %q", p)
			}
		}, outcome: "pass"},
		{name: "optional tool missing fails in CI", ci: "true", fn: func(tb testing.TB) { OptionalTool(tb, "assay-no-such-tool", "assay-pkg") }, outcome: "fail", msg: missingMsg},
		{name: "optional tool missing is logged outside CI", fn: func(tb testing.TB) {
			if p, ok := OptionalTool(tb, "assay-no-such-tool", "assay-pkg"); ok || p != "" {
				tb.Fatalf("found %q", p)
			}
		}, outcome: "pass", msg: missingMsg + "; check not done"},
		{name: "optional tool present", ci: "true", fn: func(tb testing.TB) {
			if _, ok := OptionalTool(tb, "sh", "dash"); !ok {
				tb.Fatalf("sh not found")
			}
		}, outcome: "pass"},
		{name: "not root fails in CI", ci: "true", euid: 1000, fn: func(tb testing.TB) { RequireRoot(tb, "mounts") }, outcome: "fail", msg: "needs root (mounts): run the tests as root, as CI does"},
		{name: "not root skips outside CI", euid: 1000, fn: func(tb testing.TB) { RequireRoot(tb, "mounts") }, outcome: "skip", msg: "needs root (mounts): run the tests as root, as CI does"},
		{name: "root", ci: "true", euid: 0, fn: func(tb testing.TB) { RequireRoot(tb, "mounts") }, outcome: "pass"},
		{name: "capability missing fails in CI", ci: "true", status: noSysAdmin, fn: func(tb testing.TB) { RequireCapability(tb, CapSysAdmin, "ip netns add") }, outcome: "fail", msg: "~needs CAP_SYS_ADMIN (ip netns add)"},
		{name: "capability missing skips outside CI", status: noSysAdmin, fn: func(tb testing.TB) { RequireCapability(tb, CapSysAdmin, "ip netns add") }, outcome: "skip", msg: "~needs CAP_SYS_ADMIN (ip netns add)"},
		{name: "other capability present", ci: "true", status: noSysAdmin, fn: func(tb testing.TB) { RequireCapability(tb, CapNetAdmin, "veth") }, outcome: "pass"},
		{name: "capability present", ci: "true", status: full, fn: func(tb testing.TB) { RequireCapability(tb, CapSysAdmin, "mount") }, outcome: "pass"},
		{name: "unreadable status fails in CI", ci: "true", status: "/nonexistent/status", fn: func(tb testing.TB) { RequireCapability(tb, CapNetRaw, "capture") }, outcome: "fail", msg: "~needs CAP_NET_RAW (capture): cannot read the capabilities"},
		{name: "unavailable formats its message", fn: func(tb testing.TB) { Unavailable(tb, "%s is %d", "x", 1) }, outcome: "skip", msg: "x is 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			if tc.path != "" {
				t.Setenv("PATH", tc.path)
			}
			geteuid = func() int { return tc.euid }
			statusFile = tc.status
			outcome, msg := run(tc.fn)
			if outcome != tc.outcome {
				t.Errorf("outcome %s (%q), want %s", outcome, msg, tc.outcome)
			}
			if sub, ok := strings.CutPrefix(tc.msg, "~"); ok {
				if !strings.Contains(msg, sub) {
					t.Errorf("message %q, want it to contain %q", msg, sub)
				}
			} else if msg != tc.msg {
				t.Errorf("message %q, want %q", msg, tc.msg)
			}
		})
	}
}

// TestLiveCapabilities reads this process's real /proc/self/status: the
// parser must understand the kernel's format, whatever the set holds.
func TestLiveCapabilities(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("capabilities are read from Linux's /proc")
	}
	if _, err := hasCapability(CapSysAdmin); err != nil {
		t.Fatal(err)
	}
}
