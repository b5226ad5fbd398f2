package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/assay-dev/assay/core/report"
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
	files := map[string]string{} // clean path → the format written there
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
		} else if err := checkOutputFile(file); err != nil {
			return nil, err
		} else if prev, dup := files[filepath.Clean(file)]; dup {
			// The second rename would silently replace the first output.
			return nil, fmt.Errorf("formats %s and %s would both be written to %s: give each its own file, as -f FORMAT=FILE", prev, f.Name, file)
		} else {
			files[filepath.Clean(file)] = f.Name
		}
		out = append(out, destination{format: f, file: file})
	}
	if stdout > 1 {
		return nil, errors.New("several formats would go to stdout: give each but one a file, as -f FORMAT=FILE")
	}
	return out, nil
}

// outputPlan is what the output flags decided before the run: the gate and
// every destination.
type outputPlan struct {
	o     *outputFlags
	gate  report.Gate
	dests []destination
}

// plan checks --fail-on and every -f/-o before anything runs; its error is a
// usage error (exit 2).
func (o *outputFlags) plan() (*outputPlan, error) {
	gate, err := o.gate()
	if err != nil {
		return nil, usageError(err)
	}
	dests, err := o.destinations()
	if err != nil {
		return nil, usageError(err)
	}
	return &outputPlan{o: o, gate: gate, dests: dests}, nil
}

// deliver writes the report everywhere and turns the gate's verdict into the
// command's result: an output that cannot be written is exit 3, a failing
// gate exit 1.
func (p *outputPlan) deliver(ctx context.Context, r *report.Report, stdout io.Writer) error {
	if err := p.o.write(ctx, p.dests, r, stdout, p.gate); err != nil {
		return scanError(err)
	}
	if code := p.gate.ExitCode(r); code != 0 {
		return exitCode(code)
	}
	return nil
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

// checkOutputFile refuses, before anything runs, an output path that can
// never be written: one that names a directory.
func checkOutputFile(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("output %s is a directory: give a file name", path)
	}
	return nil
}

// writeJSON writes v as indented JSON to output, or to stdout when output
// is "" or "-".
func writeJSON(output string, stdout io.Writer, v any) error {
	write := func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	if output == "" || output == "-" {
		return write(stdout)
	}
	return writeFileAtomic(output, write)
}

// writeFileAtomic writes path through a temporary file and a rename.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	return writeFileAtomicMode(path, 0o644, write)
}

// writeFileAtomicMode is writeFileAtomic with permissions perm.
//
// Only a regular file (or a new one) is replaced that way. A symlink is
// followed, so the link stays and its target is replaced. Anything else —
// /dev/null, /dev/stdout, a FIFO a reader waits on — is written in place:
// renaming over it would replace the device itself with a regular file.
func writeFileAtomicMode(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		path = resolved
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return fmt.Errorf("%s is a directory", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
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
	if err = tmp.Chmod(perm); err != nil {
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
