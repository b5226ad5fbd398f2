package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/assay-dev/assay/engine/report"
	"github.com/assay-dev/assay/exporters"
)

// outputFlags choose the formats and where each goes.
type outputFlags struct {
	formats []string
	output  string
	failOn  string
}

func (o *outputFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&o.formats, "format", "f", nil,
		"output `FORMAT` ("+strings.Join(exporters.Names(), ", ")+"); repeat as FORMAT=FILE to write several outputs from one scan (default table)")
	fs.StringVarP(&o.output, "output", "o", "", "write the output to `FILE` (atomically) instead of stdout")
	fs.StringVar(&o.failOn, "fail-on", "info", "lowest `SEVERITY` of a mandatory finding that fails the run (exit 1): info, low, medium, high, critical, or none")
}

// gate parses --fail-on.
func (o *outputFlags) gate() (report.Gate, error) {
	if strings.EqualFold(o.failOn, "none") {
		return report.Gate{Disabled: true}, nil
	}
	sev, err := report.ParseSeverity(o.failOn)
	if err != nil {
		return report.Gate{}, fmt.Errorf("--fail-on: %w (or none)", err)
	}
	return report.Gate{FailOn: sev}, nil
}

// destination is one format and where it is written ("" = stdout).
type destination struct {
	format exporters.Format
	file   string
}

// destinations validates the flags before anything runs, so that a typo in
// -f fails in a second, not after a ten-minute scan.
func (o *outputFlags) destinations() ([]destination, error) {
	specs := o.formats
	if len(specs) == 0 {
		specs = []string{"table"}
	}
	var out []destination
	stdout := 0
	for _, spec := range specs {
		name, file, hasFile := strings.Cut(spec, "=")
		if hasFile && file == "" {
			return nil, fmt.Errorf("--format %q: FORMAT=FILE needs a file name", spec)
		}
		f, err := exporters.Lookup(name)
		if err != nil {
			return nil, err
		}
		if !hasFile {
			file = o.output
		}
		if file == "" || file == "-" {
			file = ""
			stdout++
		}
		out = append(out, destination{format: f, file: file})
	}
	if stdout > 1 {
		return nil, errors.New("several formats would go to stdout: give each but one a file, as -f FORMAT=FILE")
	}
	return out, nil
}

// write exports the report to every destination. Files are written to a
// temporary file in the same directory and renamed into place, so a reader
// (node_exporter's textfile collector, a CI upload step) never sees half a file.
func (o *outputFlags) write(ctx context.Context, dests []destination, r *report.Report, stdout io.Writer, gate report.Gate) error {
	for _, d := range dests {
		opts := exporters.Options{Gate: gate}
		if d.file == "" {
			opts.Terminal = colorAllowed(stdout)
			if err := d.format.New(stdout, opts).Export(ctx, r); err != nil {
				return fmt.Errorf("write %s output: %w", d.format.Name, err)
			}
			continue
		}
		if err := writeFileAtomic(d.file, func(w io.Writer) error { return d.format.New(w, opts).Export(ctx, r) }); err != nil {
			return fmt.Errorf("write %s output to %s: %w", d.format.Name, d.file, err)
		}
	}
	return nil
}

// writeFileAtomic writes path through a temporary file and a rename.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w any) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// colorAllowed: colour only on a terminal and never with NO_COLOR set
// (https://no-color.org: any non-empty value).
func colorAllowed(w io.Writer) bool {
	return os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" && isTerminal(w)
}
