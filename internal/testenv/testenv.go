// Package testenv is how a test says what it needs from the machine: an
// outside tool it checks assay against (an oracle: sshd -T, promtool,
// slapd, tcpdump, openssl...), root, or a capability. Outside CI a missing
// need skips the test; with CI=true it fails it, naming the Debian package
// to install, so that an oracle test never passes in CI by not running.
//
// It imports no other assay package.
package testenv

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Seams for the package's own tests.
var (
	sbinDirs   = []string{"/usr/sbin", "/sbin"}
	geteuid    = os.Geteuid
	statusFile = "/proc/self/status"
)

// InCI reports whether the tests run in CI (CI=true), where nothing they
// need may be missing.
func InCI() bool { return os.Getenv("CI") == "true" }

// Unavailable fails the test in CI and skips it elsewhere, with the same
// message. The message should say what is missing and how to get it.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// LookTool finds an executable in PATH, then in /usr/sbin and /sbin
// (sshd and slapd live there, and a user's PATH may not have them).
func LookTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	for _, dir := range sbinDirs {
		if p, err2 := exec.LookPath(filepath.Join(dir, name)); err2 == nil {
			return p, nil
		}
	}
	return "", err
}

func missing(name, debianPackage string) string {
	return fmt.Sprintf("%s not installed: apt-get install %s (make test installs it via .ci/install-deps.sh)", name, debianPackage)
}

// RequireTool returns the path of the tool name, which the Debian package
// debianPackage provides. When it is missing the test fails in CI and is
// skipped elsewhere.
func RequireTool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := LookTool(name)
	if err != nil {
		Unavailable(t, "%s", missing(name, debianPackage))
	}
	return p
}

// OptionalTool is RequireTool for a check that the test can do without
// outside CI: a missing tool is logged and the test carries on (ok is
// false). In CI it fails the test.
func OptionalTool(t testing.TB, name, debianPackage string) (path string, ok bool) {
	t.Helper()
	p, err := LookTool(name)
	if err == nil {
		return p, true
	}
	if InCI() {
		t.Fatalf("%s", missing(name, debianPackage))
	}
	t.Logf("%s; check not done", missing(name, debianPackage))
	return "", false
}

// RequireRoot fails the test in CI, and skips it elsewhere, unless it runs
// as root; why says what needs root.
func RequireRoot(t testing.TB, why string) {
	t.Helper()
	if geteuid() != 0 {
		Unavailable(t, "needs root (%s): run the tests as root, as CI does", why)
	}
}

// Capability is a Linux capability, as numbered in <linux/capability.h>.
type Capability int

// The capabilities assay's tests need.
const (
	CapNetAdmin Capability = 12
	CapNetRaw   Capability = 13
	CapSysAdmin Capability = 21
)

func (c Capability) String() string {
	switch c {
	case CapNetAdmin:
		return "CAP_NET_ADMIN"
	case CapNetRaw:
		return "CAP_NET_RAW"
	case CapSysAdmin:
		return "CAP_SYS_ADMIN"
	}
	return "capability " + strconv.Itoa(int(c))
}

// RequireCapability fails the test in CI, and skips it elsewhere, unless
// the process has the capability c in its effective set (root in a
// container may lack CAP_SYS_ADMIN, which mounts and network namespaces
// need); why says what needs it.
func RequireCapability(t testing.TB, c Capability, why string) {
	t.Helper()
	have, err := hasCapability(c)
	if err != nil {
		Unavailable(t, "needs %s (%s): %v", c, why, err)
	} else if !have {
		Unavailable(t, "needs %s (%s): run the tests as root with it (a privileged container), as CI does", c, why)
	}
}

// hasCapability reads the effective set from the CapEff line of
// /proc/self/status.
func hasCapability(c Capability) (bool, error) {
	f, err := os.Open(statusFile)
	if err != nil {
		return false, fmt.Errorf("cannot read the capabilities: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "CapEff:")
		if !ok {
			continue
		}
		set, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return false, fmt.Errorf("%s: CapEff %q: %w", statusFile, strings.TrimSpace(v), err)
		}
		return set&(1<<uint(c)) != 0, nil
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("%s: %w", statusFile, err)
	}
	return false, fmt.Errorf("%s has no CapEff line", statusFile)
}
