package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/internal/safefile"
)

// stallEnv starts this test binary as a child that runs the real command
// line (runRoot: its signal handling, its exit) with one hidden command
// more, stall-write OUT, which writes OUT through safefile and stalls in
// the middle of the write, where a signal finds a temporary file: no real
// command stalls there on its own (the exporters write a report already
// in memory). The value of ASSAY_TEST_STALL says how the write behaves
// once the first signal cancels the context:
//
//	context    it returns the context's error, as every exporter does
//	stuck      it never returns (a write no context reaches)
//	abandoned  it goes on in a goroutine, and the command returns
const stallEnv = "ASSAY_TEST_STALL"

func init() {
	if mode := os.Getenv(stallEnv); mode != "" {
		root := newRootCmd()
		root.AddCommand(stallWriteCmd(mode))
		os.Exit(runRoot(root, os.Args[1:]))
	}
}

func stallWriteCmd(mode string) *cobra.Command {
	return &cobra.Command{
		Use:    "stall-write OUT",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cancelled := make(chan struct{})
			write := func() error {
				return safefile.Write(args[0], 0o644, func(w io.Writer) error {
					if _, err := w.Write(bytes.Repeat([]byte("# a large report\n"), 1<<16)); err != nil {
						return err
					}
					fmt.Println("writing")
					<-ctx.Done()
					fmt.Println("cancelled")
					close(cancelled)
					if mode != "context" {
						for {
							time.Sleep(time.Hour)
						}
					}
					return ctx.Err()
				})
			}
			if mode == "abandoned" {
				go write()
				<-cancelled
				return exitcode.ScanError(ctx.Err())
			}
			return exitcode.ScanError(write())
		},
	}
}

// TestSignalRemovesTemporaryFiles: however a catchable signal ends assay
// in the middle of writing a file, the temporary file goes and the file
// it would have replaced stays as it was.
func TestSignalRemovesTemporaryFiles(t *testing.T) {
	tests := []struct {
		name    string
		mode    string
		signals []syscall.Signal
		// killedBy is the signal that ends the process, or 0 for an exit
		// with code 3.
		killedBy syscall.Signal
	}{
		{name: "SIGINT, the write honours the context", mode: "context", signals: []syscall.Signal{syscall.SIGINT}},
		{name: "SIGTERM, the write honours the context", mode: "context", signals: []syscall.Signal{syscall.SIGTERM}},
		{name: "SIGHUP, the write honours the context", mode: "context", signals: []syscall.Signal{syscall.SIGHUP}},
		{name: "SIGINT, the command returns while the write goes on", mode: "abandoned", signals: []syscall.Signal{syscall.SIGINT}},
		{name: "SIGINT twice, the write stuck", mode: "stuck", signals: []syscall.Signal{syscall.SIGINT, syscall.SIGINT}, killedBy: syscall.SIGINT},
		{name: "SIGTERM then SIGHUP, the write stuck", mode: "stuck", signals: []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP}, killedBy: syscall.SIGHUP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "assay.prom")
			if err := os.WriteFile(out, []byte("old\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd, stdout, stderr := startStallWrite(t, tt.mode, out, false)
			lines := bufio.NewScanner(stdout)
			expect := func(want string) {
				t.Helper()
				if !lines.Scan() || lines.Text() != want {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("the child did not say %q (got %q); stderr:\n%s", want, lines.Text(), stderr)
				}
			}

			expect("writing")
			if left := tempFiles(t, dir); len(left) != 1 {
				t.Fatalf("during the write: %v, want one temporary file", left)
			}
			cmd.Process.Signal(tt.signals[0])
			expect("cancelled")
			for _, sig := range tt.signals[1:] {
				cmd.Process.Signal(sig)
			}
			io.Copy(io.Discard, stdout)
			err := cmd.Wait()

			ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
			switch {
			case tt.killedBy != 0 && (!ws.Signaled() || ws.Signal() != tt.killedBy):
				t.Errorf("the child ended with %v, want killed by %v; stderr:\n%s", err, tt.killedBy, stderr)
			case tt.killedBy == 0 && ws.ExitStatus() != exitcode.ScanFailed:
				t.Errorf("the child ended with %v, want exit code %d; stderr:\n%s", err, exitcode.ScanFailed, stderr)
			}
			if left := tempFiles(t, dir); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
			if b, _ := os.ReadFile(out); string(b) != "old\n" {
				t.Errorf("%s holds %d bytes, want it as it was", out, len(b))
			}
		})
	}
}

// startStallWrite starts this test binary as assay stall-write OUT in
// mode, with SIGHUP ignored from its start when ignoreHUP (through a shell
// that ignores it and execs the binary, as nohup does). A hang guard, not
// a timing assertion, kills a child that outlives two minutes.
func startStallWrite(t *testing.T, mode, out string, ignoreHUP bool) (*exec.Cmd, io.Reader, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "stall-write", out)
	if ignoreHUP {
		cmd = exec.Command("/bin/sh", "-c", `trap "" HUP; exec "$0" stall-write "$1"`, os.Args[0], out)
	}
	cmd.Env = append(os.Environ(), stallEnv+"="+mode)
	stderr := new(bytes.Buffer)
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	guard := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	t.Cleanup(func() { guard.Stop() })
	return cmd, stdout, stderr
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	left, err := filepath.Glob(filepath.Join(dir, "*"+safefile.TempMarker+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return left
}

// TestIgnoredSignalStaysIgnored: assay started with SIGHUP ignored (nohup)
// keeps ignoring it. A hangup then a SIGTERM: the SIGTERM is the first
// signal that counts, so the write is cancelled and assay exits with code
// 3; were the hangup handled, the SIGTERM would be a second signal and kill
// it, and were it not ignored, the hangup alone would.
func TestIgnoredSignalStaysIgnored(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "assay.prom")
	cmd, stdout, stderr := startStallWrite(t, "context", out, true)
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "writing" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child did not start writing (got %q); stderr:\n%s", lines.Text(), stderr)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	cmd.Process.Signal(syscall.SIGTERM)
	io.Copy(io.Discard, stdout)
	err := cmd.Wait()
	if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); ws.Signaled() || ws.ExitStatus() != exitcode.ScanFailed {
		t.Errorf("the child ended with %v, want exit code %d after SIGTERM alone; stderr:\n%s", err, exitcode.ScanFailed, stderr)
	}
	if left := tempFiles(t, dir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestEndSignals: SIGHUP ends every command but serve, which reloads its
// bundles on it.
func TestEndSignals(t *testing.T) {
	for _, tt := range []struct {
		args []string
		hup  bool
	}{
		{[]string{"scan", "--root", "."}, true},
		{[]string{"--log-level", "debug", "collect"}, true},
		{[]string{"bundle", "pull", "x", "-o", "y"}, true},
		{[]string{"no-such-command"}, true},
		{[]string{"serve", "--listen", "127.0.0.1:0"}, false},
	} {
		got := slices.Contains(endSignals(newRootCmd(), tt.args), os.Signal(syscall.SIGHUP))
		if got != tt.hup {
			t.Errorf("%v: SIGHUP ends it: %v, want %v", tt.args, got, tt.hup)
		}
	}
}
