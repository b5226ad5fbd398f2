package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/internal/safefile"
)

// Destination is one output format and where it is written ("" =
// stdout).
type Destination struct {
	Format exporters.Format
	File   string
	// PerTarget writes one file per target into the directory File
	// (-f FORMAT=DIR/), named after the target.
	PerTarget bool
}

// Outputs are a run's outputs and CI gate, checked before the run starts
// so that a typo in -f fails in a second, not after a ten-minute scan.
type Outputs struct {
	Gate         report.Gate
	Destinations []Destination
	// ShowWaived lists waived findings in the table (--show-waived).
	ShowWaived bool
	// Push, when set, sends the metrics to a Pushgateway after the local
	// outputs are written (--push).
	Push *Push
}

// PlanOutputs checks the gate (--fail-on: a severity or "none") and every
// format spec (-f FORMAT or FORMAT=FILE; output is -o, the file of specs
// without one). Its errors are usage errors (exit code 2).
func (e *Env) PlanOutputs(formats []string, output, failOn string) (*Outputs, error) {
	gate, err := ParseGate(failOn)
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	dests, err := e.destinations(formats, output)
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	return &Outputs{Gate: gate, Destinations: dests}, nil
}

// ParseGate parses --fail-on: a severity, or "none" to report without
// ever failing.
func ParseGate(failOn string) (report.Gate, error) {
	if strings.EqualFold(failOn, "none") {
		return report.Gate{Disabled: true}, nil
	}
	sev, err := report.ParseSeverity(failOn)
	if err != nil {
		return report.Gate{}, fmt.Errorf("--fail-on: %w (or none)", err)
	}
	return report.Gate{FailOn: sev}, nil
}

func (e *Env) destinations(specs []string, output string) ([]Destination, error) {
	if len(specs) == 0 {
		specs = []string{"table"}
	}
	var out []Destination
	stdout := 0
	files := map[string]string{} // clean path → the format written there
	for _, spec := range specs {
		name, file, hasFile := strings.Cut(spec, "=")
		if hasFile && file == "" {
			return nil, fmt.Errorf("--format %q: FORMAT=FILE needs a file name", spec)
		}
		f, err := e.Formats.Get(name)
		if err != nil {
			return nil, err
		}
		if !hasFile {
			file = output
		}
		perTarget := strings.HasSuffix(file, "/")
		if perTarget {
			if err := checkOutputDir(file); err != nil {
				return nil, err
			}
		}
		if file == "" || file == "-" {
			file = ""
			stdout++
		} else if perTarget {
			if prev, dup := files[filepath.Clean(file)+"/"+f.Name]; dup {
				return nil, fmt.Errorf("format %s is written to %s twice (also as %s)", f.Name, file, prev)
			}
			files[filepath.Clean(file)+"/"+f.Name] = f.Name
		} else if err := CheckOutputFile(file); err != nil {
			return nil, err
		} else if prev, dup := files[filepath.Clean(file)]; dup {
			// The second rename would silently replace the first output.
			return nil, fmt.Errorf("formats %s and %s would both be written to %s: give each its own file, as -f FORMAT=FILE", prev, f.Name, file)
		} else {
			files[filepath.Clean(file)] = f.Name
		}
		out = append(out, Destination{Format: f, File: file, PerTarget: perTarget})
	}
	if stdout > 1 {
		return nil, errors.New("several formats would go to stdout: give each but one a file, as -f FORMAT=FILE")
	}
	return out, nil
}

// Deliver writes the report everywhere and turns the gate's verdict into
// the run's result: an output that cannot be written or a push that fails
// is exit code 3, a failing gate exit code 1, a run that checked nothing
// under a gate that fails on it exit code 3 with the reasons
// (NothingChecked). terminal says stdout is a terminal where colour is
// allowed.
func (o *Outputs) Deliver(ctx context.Context, r *report.Report, stdout io.Writer, terminal bool) error {
	err := o.Write(ctx, r, stdout, terminal)
	if o.Push != nil {
		// Pushed even when a local output failed, and the other way round:
		// each destination gets what it can.
		if perr := o.Push.Send(ctx, r); perr != nil {
			err = errors.Join(err, perr)
		}
	}
	if err != nil {
		return exitcode.ScanError(err)
	}
	if code := o.Gate.ExitCode(r); code != exitcode.Clean {
		if o.Gate.FailEmpty {
			if err := nothingCheckedIn(r); err != nil {
				return exitcode.ScanError(err)
			}
		}
		return exitcode.Silent(code)
	}
	return nil
}

// nothingCheckedIn says which part of a report checked nothing: the report
// itself, or each target of a multi-target report that was scanned and
// checked nothing (a target that failed says why in its own section).
func nothingCheckedIn(r *report.Report) error {
	if !r.Multi() {
		if r.NothingChecked() {
			return NothingChecked(r)
		}
		return nil
	}
	var errs []error
	for _, t := range r.Targets {
		if t.Status == report.TargetFailed || t.Report == nil || !t.Report.NothingChecked() {
			continue
		}
		errs = append(errs, fmt.Errorf("%s: %w", t.Report.Target.Name, NothingChecked(t.Report)))
	}
	return errors.Join(errs...)
}

// Write exports the report to every destination. Files are written
// atomically (safefile), so a reader (node_exporter's textfile collector, a
// CI upload step) never sees half a file, and never through a link planted
// at their name.
func (o *Outputs) Write(ctx context.Context, r *report.Report, stdout io.Writer, terminal bool) error {
	for _, d := range o.Destinations {
		opts := exporters.Options{Gate: o.Gate, ShowWaived: o.ShowWaived}
		if d.PerTarget {
			if err := writePerTarget(ctx, d, opts, r); err != nil {
				return err
			}
			continue
		}
		if d.File == "" {
			opts.Terminal = terminal
			if err := d.Format.New(stdout, opts).Export(ctx, r); err != nil {
				return fmt.Errorf("write %s output: %w", d.Format.Name, err)
			}
			continue
		}
		if err := safefile.Write(d.File, 0o644, func(w io.Writer) error { return d.Format.New(w, opts).Export(ctx, r) }); err != nil {
			return fmt.Errorf("write %s output to %s: %w", d.Format.Name, d.File, err)
		}
	}
	return nil
}

// CheckOutputFile refuses, before anything runs, an output path that can
// never be written: a directory, a device, a FIFO or a socket
// (safefile.Check; "", "-", /dev/stdout, /dev/stderr and /dev/null are
// fine). A symbolic link is fine too: the write replaces the link, never
// its target.
func CheckOutputFile(path string) error {
	if path == "" {
		return nil
	}
	if err := safefile.Check(path); err != nil {
		return fmt.Errorf("output %w", err)
	}
	return nil
}

// WriteJSON writes v as indented JSON to output, or to stdout when output
// is "" or "-".
func WriteJSON(output string, stdout io.Writer, v any) error {
	write := func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	if output == "" || output == "-" {
		return write(stdout)
	}
	return safefile.Write(output, 0o644, write)
}

// checkOutputDir refuses, before anything runs, a DIR/ output that is not a
// directory (a missing one is created).
func checkOutputDir(dir string) error {
	fi, err := os.Stat(filepath.Clean(dir))
	if err == nil && !fi.IsDir() {
		return fmt.Errorf("output %s is not a directory: FORMAT=DIR/ writes one file per target into a directory", dir)
	}
	return nil
}

// writePerTarget writes one file per target into the directory of d: the
// report restricted to that target, named after it (TargetFileName). Each
// file is written as any other (safefile), and nothing below the directory
// is followed.
func writePerTarget(ctx context.Context, d Destination, opts exporters.Options, r *report.Report) error {
	dir, err := safefile.OpenDir(d.File)
	if err != nil {
		return fmt.Errorf("write %s outputs to %s: %w", d.Format.Name, d.File, err)
	}
	defer dir.Close()
	used := map[string]bool{}
	n := len(r.Targets)
	if !r.Multi() {
		n = 1
	}
	for i := range n {
		part := r
		info := r.Target
		if r.Multi() {
			part, info = r.Only(i), r.Targets[i].Info()
		}
		file := UniqueTargetFileName(info, used) + d.Format.Ext
		if err := dir.Write(file, 0o644, func(w io.Writer) error { return d.Format.New(w, opts).Export(ctx, part) }); err != nil {
			return fmt.Errorf("write %s output to %s: %w", d.Format.Name, filepath.Join(d.File, file), err)
		}
	}
	return nil
}

// TargetFileName names a target's file in a per-target output directory:
// its name without the ssh:// scheme, every character but letters, digits,
// '.', '-', '_' and '@' replaced by '_' ("ssh://root@web1:22" →
// "root@web1_22").
func TargetFileName(info target.Info) string {
	name := strings.TrimPrefix(info.Name, "ssh://")
	if info.Kind == target.KindHost || name == "" || name == "/" {
		name = string(info.Kind)
	}
	b := []byte(name)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '@'
		if !ok {
			b[i] = '_'
		}
	}
	s := strings.Trim(string(b), ".")
	if len(s) > 200 {
		s = s[:200]
	}
	if s == "" {
		s = "target"
	}
	return s
}

// UniqueTargetFileName is TargetFileName, followed by -2, -3… when used
// (the names given so far in one directory) already holds it; it adds the
// name to used.
func UniqueTargetFileName(info target.Info, used map[string]bool) string {
	base := TargetFileName(info)
	name := base
	for k := 2; used[name]; k++ {
		name = fmt.Sprintf("%s-%d", base, k)
	}
	used[name] = true
	return name
}

// WriteJSONTo writes v as indented JSON to the file name inside dir.
func WriteJSONTo(dir *safefile.Dir, name string, v any) error {
	return dir.Write(name, 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}
