package main

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run this test binary as the `assay` command, so
// the end-to-end scripts exercise the real CLI, flags, exit codes and all.
func TestMain(m *testing.M) {
	// Run under nohup, or by a runner that ignores SIGHUP or SIGINT, the
	// children would inherit the ignored signals and assay, rightly, keep
	// ignoring them. Handled here instead, they reach the children with
	// their default action, as they reach assay started from a terminal.
	for _, s := range []os.Signal{syscall.SIGHUP, os.Interrupt} {
		if signal.Ignored(s) {
			signal.Notify(make(chan os.Signal, 1), s)
		}
	}
	testscript.Main(m, map[string]func(){
		"assay": func() { os.Exit(run(os.Args[1:])) },
	})
}

// TestScript runs the end-to-end scripts in testdata/script: each is a txtar
// archive of files and commands, the way users run assay.
func TestScript(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// Scripts reach the repository's own bundles and examples.
			env.Setenv("REPO", repo)
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// sleep DURATION waits, for commands running in the background.
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: sleep DURATION")
				}
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				time.Sleep(d)
			},
			// mkfifo PATH makes a named pipe: bad input that blocks a naive open.
			"mkfifo": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: mkfifo PATH")
				}
				ts.Check(syscall.Mkfifo(ts.MkAbs(args[0]), 0o644))
			},
			// bigdoc PATH SIZE writes a JSON document of SIZE bytes (64KiB,
			// 2MiB): {"kind": "big", "pad": "xxx…"}.
			"bigdoc": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: bigdoc PATH SIZE")
				}
				n, err := humanize.ParseBytes(args[1])
				ts.Check(err)
				head, tail := `{"kind": "big", "pad": "`, `"}`
				pad := int(n) - len(head) - len(tail)
				if pad < 0 {
					ts.Fatalf("bigdoc: %s is too small", args[1])
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(head+strings.Repeat("x", pad)+tail), 0o644))
			},
			// exits N CMD ARGS... runs a command and requires exit code N.
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 {
					ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("exits: bad code %q", args[0])
				}
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					got = ee.ExitCode()
				} else if err != nil {
					ts.Fatalf("exits: %v", err)
				}
				if (got == want) == neg {
					ts.Fatalf("exit code %d, want %d", got, want)
				}
			},
		},
	})
}
