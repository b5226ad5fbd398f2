package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// helperArgs holds, separated by US (0x1f), the arguments TestHelperProcess runs
// assay with.
const helperArgs = "ASSAY_HELPER_ARGS"

// TestHelperProcess is assay itself, in a child process: a bundle that
// crashes the runtime (a stack overflow is not recoverable) then fails
// the test that started it instead of killing the test binary.
func TestHelperProcess(t *testing.T) {
	args := os.Getenv(helperArgs)
	if args == "" {
		t.Skip("the CLI, run by other tests in a child process")
	}
	os.Exit(run(strings.Split(args, "\x1f")))
}

// runChild runs assay with args in a child process, in dir; it returns
// the exit code, stderr and the child's peak memory.
func runChild(t *testing.T, dir string, args ...string) (code int, stderr string, maxRSS int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), helperArgs+"="+strings.Join(args, "\x1f"), "NO_COLOR=1")
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxRSS = ru.Maxrss << 10 // KiB on Linux
	}
	return cmd.ProcessState.ExitCode(), errBuf.String(), maxRSS
}

// hostileBundle writes a bundle whose description is expr.
func hostileBundle(t *testing.T, dir, expr string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "bundle \"hostile\" {\n  description = " + expr + "\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "bundle.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rego := "package hostile\n\ntest_ok if true\n"
	if err := os.WriteFile(filepath.Join(dir, "hostile_test.rego"), []byte(rego), 0o644); err != nil {
		t.Fatal(err)
	}
}

func nested(n int) string {
	return strings.Repeat("(", n) + `"x"` + strings.Repeat(")", n)
}

func nestedReplace(n int) string {
	e := `"x"`
	for range n {
		e = `replace(` + e + `, "x", "xx")`
	}
	return e
}

// TestHostileHCL: bundles that crashed assay (a million parentheses: Go's
// "fatal error: stack overflow") or made it take gigabytes (format
// widths, replace doubling) are refused with an error at the place, exit
// code 2, in little memory; `assay test` and `assay fmt --check` alike
// (fmt never evaluates, so functions are no risk to it).
func TestHostileHCL(t *testing.T) {
	col := len("  description = ") + 1 // where the expression starts
	at := func(c int) string { return "b/bundle.hcl:2:" + strconv.Itoa(c) + ": error: " }
	both := [][]string{{"test", "b"}, {"fmt", "--check", "b"}}
	tests := []struct {
		name string
		expr string
		cmds [][]string
		code int
		want []string // in stderr
	}{
		// The bundle block is the first level, the 256th parenthesis the
		// 257th.
		{"a million parentheses", nested(1_000_000), both, 2, []string{
			at(col+255) + "Nested too deeply", "level 257", "at most 256"}},
		{"257 levels", nested(256), both, 2, []string{at(col+255) + "Nested too deeply"}},
		{"256 levels", nested(255), both[:1], 0, nil},
		{"format width", `format("%1000000000s", 1)`, both[:1], 2, []string{
			at(col) + "Error in function call",
			"format(…) would produce up to 1,000,000,201 bytes", "the 16 MiB that the function calls of a bundle may produce"}},
		{"31 nested replace", nestedReplace(31), both[:1], 2, []string{
			"Error in function call", "replace(…) would produce", "the 16 MiB that the function calls of a bundle may produce"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			hostileBundle(t, filepath.Join(dir, "b"), tt.expr)
			for _, args := range tt.cmds {
				cmd := "assay " + strings.Join(args, " ")
				code, stderr, rss := runChild(t, dir, args...)
				if code != tt.code {
					t.Fatalf("%s: exit %d, want %d\n%.2000s", cmd, code, tt.code, stderr)
				}
				for _, w := range tt.want {
					if !strings.Contains(stderr, w) {
						t.Errorf("%s: stderr does not say %q:\n%.2000s", cmd, w, stderr)
					}
				}
				// Go's runtime exits 2 on a fatal error too.
				if strings.Contains(stderr, "fatal error") || strings.Contains(stderr, "goroutine ") {
					t.Errorf("%s crashed:\n%.2000s", cmd, stderr)
				}
				// Before the limits, the replace case took over 10 GB.
				if rss > 512<<20 {
					t.Errorf("%s: peak memory %d MiB", cmd, rss>>20)
				}
			}
		})
	}
}
