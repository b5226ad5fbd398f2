package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/internal/safefile"
)

// profileFlags are the hidden --cpuprofile and --memprofile, so that a
// user whose scan is slow or large can send what it spent (go tool pprof
// reads both). ASSAY_CPUPROFILE and ASSAY_MEMPROFILE set them where the
// command line is not at hand (assay serve under a service manager).
type profileFlags struct {
	cpu, mem string
	cpuBuf   bytes.Buffer
}

// heapSampleRate is the Go runtime's rate of sampling allocations for
// the heap profile, which only --memprofile writes. The runtime samples
// from the start unless told not to; its records took 1.7 MB of a
// 4,000-user MIG scan's memory and some CPU on every run. So sampling is
// off (init) until --memprofile turns it on for the command it profiles.
var heapSampleRate = runtime.MemProfileRate

// (A test binary of this package samples nothing either: go test
// -memprofile needs -memprofilerate there.)
func init() { runtime.MemProfileRate = 0 }

// Environment variables that set the profile flags' defaults.
const (
	cpuProfileEnv = "ASSAY_CPUPROFILE"
	memProfileEnv = "ASSAY_MEMPROFILE"
)

func (p *profileFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&p.cpu, "cpuprofile", os.Getenv(cpuProfileEnv), "write a CPU profile of the command to `FILE` (go tool pprof reads it)")
	fs.StringVar(&p.mem, "memprofile", os.Getenv(memProfileEnv), "write a heap profile to `FILE` when the command ends (go tool pprof reads it)")
	// For sending profiles to the developers, not for everyday use.
	_ = fs.MarkHidden("cpuprofile")
	_ = fs.MarkHidden("memprofile")
}

// start checks both destinations, before any work, and starts the CPU
// profile. The profile is kept in memory (some kilobytes a second) and
// written when the command ends, through the one writer of files.
func (p *profileFlags) start() error {
	for _, f := range []struct{ flag, path string }{{"--cpuprofile", p.cpu}, {"--memprofile", p.mem}} {
		if f.path == "" {
			continue
		}
		if err := safefile.Check(f.path); err != nil {
			return exitcode.UsageError(fmt.Errorf("%s: %w", f.flag, err))
		}
	}
	if p.cpu != "" {
		if err := pprof.StartCPUProfile(&p.cpuBuf); err != nil {
			return exitcode.UsageError(fmt.Errorf("--cpuprofile: %w", err))
		}
	}
	// Last: a command that fails to start is not profiled, and stop,
	// which turns sampling off again, is not called for it.
	if p.mem != "" {
		runtime.MemProfileRate = heapSampleRate
	}
	return nil
}

// stop ends the CPU profile and writes both profiles.
func (p *profileFlags) stop() error {
	var errs []error
	if p.cpu != "" {
		pprof.StopCPUProfile()
		if err := safefile.WriteBytes(p.cpu, 0o644, p.cpuBuf.Bytes()); err != nil {
			errs = append(errs, fmt.Errorf("write --cpuprofile: %w", err))
		}
		p.cpuBuf = bytes.Buffer{}
	}
	if p.mem != "" {
		runtime.GC() // the heap profile shows the state of the last collection
		var buf bytes.Buffer
		if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
			errs = append(errs, fmt.Errorf("write --memprofile: %w", err))
		} else if err := safefile.WriteBytes(p.mem, 0o644, buf.Bytes()); err != nil {
			errs = append(errs, fmt.Errorf("write --memprofile: %w", err))
		}
		runtime.MemProfileRate = 0
	}
	return errors.Join(errs...)
}

// profileCommands makes every command of the tree profile its run when
// the flags ask. A profile that cannot be written fails a command that
// succeeded (exit 3); after a failed one it is only reported on stderr.
func profileCommands(cmd *cobra.Command, p *profileFlags) {
	for _, sub := range cmd.Commands() {
		profileCommands(sub, p)
	}
	if cmd.RunE == nil {
		return
	}
	runE := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := p.start(); err != nil {
			return err
		}
		err := runE(cmd, args)
		if perr := p.stop(); perr != nil {
			if err == nil {
				return exitcode.ScanError(perr)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "assay: "+perr.Error())
		}
		return err
	}
}
