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
	"syscall"

	"github.com/assay-dev/assay/core/exitcode"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the process exit code. It is the
// only place where errors become exit codes.
func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal cancels the context and lets the command wind down;
	// restoring the default disposition then lets a second one end a command
	// stuck where no context reaches (a read from a pipe nobody writes).
	go func() {
		<-ctx.Done()
		stop()
	}()
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
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
