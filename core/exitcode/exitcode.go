// Package exitcode is assay's contract with scripts and CI: the four exit
// codes (docs/cli.md) and the error type that carries one from wherever a
// run fails up to main, which alone turns it into the process status.
package exitcode

import (
	"errors"
	"fmt"
)

// The exit codes of assay.
const (
	Clean      = 0 // nothing at or above the gate
	Violations = 1 // a mandatory violation at or above --fail-on (or a failed test)
	Usage      = 2 // usage, bundle or input error: the user's to fix
	ScanFailed = 3 // the scan itself failed: a collector, a policy, a data source or an output
)

// Error is an error with the exit code it deserves.
type Error struct {
	Code int
	Err  error
	// Reported is set when the error has already been shown to the user
	// (diagnostics rendered with their source), so nothing more is printed.
	Reported bool
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// ExitCode implements Coder.
func (e *Error) ExitCode() int { return e.Code }

// Coder is any error that knows its exit code. Packages whose errors carry
// more than a code (diagnostics to render, say) implement it on their own
// types instead of wrapping them in Error.
type Coder interface {
	error
	ExitCode() int
}

// UsageError marks err as the user's to fix: exit code 2.
func UsageError(err error) error { return &Error{Code: Usage, Err: err} }

// ScanError marks err as a failed scan: exit code 3.
func ScanError(err error) error { return &Error{Code: ScanFailed, Err: err} }

// Silent ends a run with code and nothing more to say: what went wrong
// has been printed already (findings, test failures).
func Silent(code int) error { return &Error{Code: code, Reported: true} }

// Of returns the exit code err carries: the code of the outermost Coder in
// its chain, Clean for nil, and fallback for an error that carries none.
func Of(err error, fallback int) int {
	if err == nil {
		return Clean
	}
	var c Coder
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return fallback
}

// Reported tells whether err (an Error in its chain) has been shown to
// the user already.
func Reported(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Reported
}
