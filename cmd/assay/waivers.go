package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/pipeline"
	"github.com/assay-dev/assay/pipeline/waiver"
)

// nowEnv fixes the waivers' clock when --now is not given.
const nowEnv = "ASSAY_NOW"

// waiverFlags are --waivers, --max-waiver-days and --now (scan, eval,
// serve).
type waiverFlags struct {
	files   []string
	maxDays int
	now     string
}

func (w *waiverFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&w.files, "waivers", nil, "accept the risks the waiver `FILE` lists until they expire: their findings stay in the outputs, marked, and never fail the run (repeatable; docs/waivers.md)")
	fs.IntVar(&w.maxDays, "max-waiver-days", pipeline.DefaultMaxWaiverDays, "refuse a waiver that expires more than `DAYS` from now (0: no limit)")
	fs.StringVar(&w.now, "now", "", "judge waiver expiry as of `TIME` (an RFC 3339 date or time) instead of the clock, for tests and audits; also "+nowEnv)
}

// options checks the flags (usage errors) and returns the pipeline's.
func (w *waiverFlags) options() (pipeline.WaiverOptions, error) {
	o := pipeline.WaiverOptions{Files: w.files, MaxDays: w.maxDays}
	if w.maxDays < 0 {
		return o, exitcode.UsageError(fmt.Errorf("--max-waiver-days %d: give a number of days, or 0 for no limit", w.maxDays))
	}
	now, from := w.now, "--now"
	if now == "" {
		now, from = os.Getenv(nowEnv), nowEnv
	}
	if now != "" {
		t, err := waiver.ParseTime(now)
		if err != nil {
			return o, exitcode.UsageError(fmt.Errorf("%s: %w", from, err))
		}
		o.Now = t
	}
	return o, nil
}
