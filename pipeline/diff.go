package pipeline

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/internal/safefile"
)

// DiffSchema identifies the JSON that `assay diff -f json` writes.
const DiffSchema = "assay.diff/v1"

// DiffResult is what `assay diff` found between two reports.
type DiffResult struct {
	Schema    string           `json:"schema"`
	Earlier   DiffSide         `json:"earlier"`
	Later     DiffSide         `json:"later"`
	Summary   DiffSummary      `json:"summary"`
	New       []report.Finding `json:"new"`
	Fixed     []report.Finding `json:"fixed"`
	Unchanged []report.Finding `json:"unchanged"`
}

// DiffSide names one of the reports compared.
type DiffSide struct {
	File      string      `json:"file"`
	Tool      report.Tool `json:"tool"`
	Target    target.Info `json:"target"`
	StartedAt time.Time   `json:"started_at"`
}

// DiffSummary counts the findings of each state.
type DiffSummary struct {
	New       int `json:"new"`
	Unchanged int `json:"unchanged"`
	Fixed     int `json:"fixed"`
}

// ExitCode is 1 when the later report has a finding the earlier did not,
// else 0.
func (d *DiffResult) ExitCode() int {
	if d.Summary.New > 0 {
		return exitcode.Violations
	}
	return exitcode.Clean
}

// DiffFormats are the formats `assay diff` writes.
var DiffFormats = []string{"table", "json"}

// CheckDiffFormat refuses a format assay diff does not write (exit code 2).
func CheckDiffFormat(format string) error {
	if slices.Contains(DiffFormats, format) {
		return nil
	}
	return exitcode.UsageError(fmt.Errorf("--format %q: assay diff writes %s", format, strings.Join(DiffFormats, " or ")))
}

// WriteDiff writes the comparison as a table or JSON to output (through
// safefile), or to stdout when output is "" or "-".
func WriteDiff(d *DiffResult, format, output string, stdout io.Writer) error {
	write := func(w io.Writer) error {
		if format == "json" {
			d.Schema = DiffSchema
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(d)
		}
		return writeDiffTable(w, d)
	}
	if output == "" || output == "-" {
		return write(stdout)
	}
	if err := safefile.Write(output, 0o644, write); err != nil {
		return fmt.Errorf("write %s: %w", output, err)
	}
	return nil
}

func writeDiffTable(w io.Writer, d *DiffResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if d.Summary.New+d.Summary.Fixed+d.Summary.Unchanged > 0 {
		fmt.Fprintln(tw, "STATE\tSEVERITY\tPOLICY\tLOCATION\tMESSAGE")
	}
	for _, group := range []struct {
		state    string
		findings []report.Finding
	}{{"new", d.New}, {"fixed", d.Fixed}, {"unchanged", d.Unchanged}} {
		for _, f := range group.findings {
			loc := f.Location()
			if loc == "" {
				loc = f.Target
			}
			fmt.Fprintf(tw, "%s\t%s\t%s/%s\t%s\t%s\n", group.state, f.Severity, cell(f.Bundle), cell(f.PolicyID), cell(loc), cell(f.Message))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if d.Summary.New+d.Summary.Fixed+d.Summary.Unchanged > 0 {
		fmt.Fprintln(w)
	}
	_, err := fmt.Fprintf(w, "%d new, %d unchanged, %d fixed · %s (%s) → %s (%s)\n", d.Summary.New, d.Summary.Unchanged, d.Summary.Fixed,
		d.Earlier.File, side(d.Earlier), d.Later.File, side(d.Later))
	return err
}

// cell keeps a value on its row and in its column: no tabs, no newlines.
func cell(s string) string { return strings.Join(strings.Fields(s), " ") }

func side(s DiffSide) string {
	desc := string(s.Target.Kind) + " " + s.Target.Name
	if !s.StartedAt.IsZero() {
		desc += ", " + s.StartedAt.UTC().Format(time.RFC3339)
	}
	return cell(desc)
}
