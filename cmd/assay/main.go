// Command assay is a declarative policy-as-code compliance scanner: collectors
// gather facts from a host, a root filesystem or a container image, Rego
// policies in HCL bundles judge them, and findings leave as a table, JSON,
// SARIF, JUnit or Prometheus metrics, and as an exit code that gates CI.
//
// This package is only the command line: flags, rendering, and the exit
// code. What a command does lives in package pipeline.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/internal/safefile"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the process exit code. It is the
// only place where errors become exit codes.
func run(args []string) int {
	return runRoot(newRootCmd(), args)
}

// runRoot is run with the command tree given (tests add commands to it).
func runRoot(root *cobra.Command, args []string) int {
	ctx, stop := handleSignals(context.Background(), endSignals(root, args)...)
	defer stop()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if ctx.Err() != nil {
		// A signal ended the command: the process exits next, so remove the
		// temporary files of writes a goroutine may still have under way.
		safefile.Cleanup()
	}
	if err == nil {
		return exitcode.Clean
	}
	code := exitcode.Of(err, -1)
	if code < 0 {
		// cobra's own errors (unknown flag, wrong arguments) are usage errors.
		fmt.Fprintln(os.Stderr, "assay: "+err.Error())
		fmt.Fprintln(os.Stderr, "Run 'assay --help' for usage.")
		return exitcode.Usage
	}
	if !exitcode.Reported(err) {
		fmt.Fprintln(os.Stderr, "assay: "+err.Error())
	}
	return code
}

// endSignals are the signals that end the command args runs: SIGINT,
// SIGTERM, and SIGHUP except for serve, which reloads its bundles on it.
// A signal ignored when assay started stays ignored: `nohup assay scan`
// asked for a hangup not to end the scan, and a shell starts background
// jobs with SIGINT ignored (handling it would undo that).
func endSignals(root *cobra.Command, args []string) []os.Signal {
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if cmd, _, err := root.Find(args); err != nil || cmd.Name() != "serve" {
		sigs = append(sigs, syscall.SIGHUP)
	}
	return slices.DeleteFunc(sigs, signal.Ignored)
}

// handleSignals returns a context that the first of sigs cancels, so that
// the command winds down and its writes remove their temporary files. A
// second one ends the process even where no context reaches (a read from a
// pipe nobody writes): it removes the temporary files of the writes under
// way (safefile.Cleanup), restores the signal's default action and raises
// it again, so that the process ends as that signal says. stop undoes it.
func handleSignals(parent context.Context, sigs ...os.Signal) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 2)
	if len(sigs) > 0 { // none would relay every signal
		signal.Notify(ch, sigs...)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-ch:
			safefile.Cleanup()
			signal.Reset(sigs...)
			if s, ok := sig.(syscall.Signal); ok {
				syscall.Kill(os.Getpid(), s)
			}
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}
