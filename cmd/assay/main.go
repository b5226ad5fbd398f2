// Command assay is a declarative policy-as-code compliance scanner: collectors
// gather facts from a host, a root filesystem or a container image, Rego
// policies in HCL bundles judge them, and findings leave as a table, JSON,
// SARIF, JUnit or Prometheus metrics, and as an exit code that gates CI.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/assay-dev/assay/bundle/datasource/all" // every data source kind
	_ "github.com/assay-dev/assay/collectors/all"        // every collector kind
	_ "github.com/assay-dev/assay/exporters/all"         // every output format
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
		return 0
	}
	var ec *exitError
	if errors.As(err, &ec) {
		if ec.err != nil && !ec.silent {
			fmt.Fprintln(os.Stderr, "assay: "+ec.err.Error())
		}
		return ec.code
	}
	// cobra's own errors (unknown flag, wrong arguments) are usage errors.
	fmt.Fprintln(os.Stderr, "assay: "+err.Error())
	fmt.Fprintln(os.Stderr, "Run 'assay --help' for usage.")
	return 2
}

// exitError carries an exit code out of a command to main.
type exitError struct {
	code   int
	err    error
	silent bool // the message was already printed (diagnostics)
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError is exit code 2: bad flags, bad bundle, bad input.
func usageError(err error) error { return &exitError{code: 2, err: err} }

// scanError is exit code 3: the scan itself failed.
func scanError(err error) error { return &exitError{code: 3, err: err} }

// exitCode ends the command with a code and no further message.
func exitCode(code int) error { return &exitError{code: code, silent: true} }
