package disttest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// repoRoot is the repository this file is in.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// distDir is where make dist-test put the artifacts (ASSAY_DIST). Without
// it the test skips: `make test` does not build releases.
func distDir(t testing.TB) string {
	t.Helper()
	d := os.Getenv("ASSAY_DIST")
	if d == "" {
		t.Skip("ASSAY_DIST is not set: make dist-test builds the artifacts and runs these tests")
	}
	if _, err := os.Stat(filepath.Join(d, "SHA256SUMS")); err != nil {
		t.Fatalf("ASSAY_DIST=%s holds no release (%v): run make dist-test", d, err)
	}
	return d
}

// artifact returns the one file of the dist directory matching pattern.
func artifact(t testing.TB, pattern string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(distDir(t), pattern))
	if len(m) != 1 {
		t.Fatalf("want one %s in %s, found %v", pattern, distDir(t), m)
	}
	return m[0]
}

// hostBinary is the assay make dist built for this machine.
func hostBinary(t testing.TB) string {
	t.Helper()
	p := filepath.Join(distDir(t), "bin", runtime.GOOS+"_"+runtime.GOARCH, "assay")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no binary for this machine in the dist directory: %v", err)
	}
	return p
}

// version is the version make dist stamped, from the archive's name:
// assay_VERSION_linux_amd64.tar.gz.
func version(t testing.TB) string {
	t.Helper()
	base := filepath.Base(artifact(t, "assay_*_linux_"+runtime.GOARCH+".tar.gz"))
	return strings.TrimSuffix(strings.TrimPrefix(base, "assay_"), "_linux_"+runtime.GOARCH+".tar.gz")
}

// command runs name with args and returns its combined output; a failure
// fails the test with that output.
func command(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	out, err := commandErr(dir, nil, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func commandErr(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = env
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
