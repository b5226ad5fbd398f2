package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/pipeline"
)

// explainHelp describes --explain.
const explainHelp = "explain each finding of `POLICY` (ID or BUNDLE/ID): the lines of its rule that held, with their values"

// explainTo wires --explain into the pipeline: the policy must exist (a
// usage error before anything is collected). The returned function prints
// the explanations once the report is written: on stdout when stdout
// carries the table (or nothing), on stderr when it carries a
// machine-readable format.
func explainTo(cmd *cobra.Command, p *pipeline.Pipeline, out *pipeline.Outputs, policy string) (func(), error) {
	if policy == "" {
		return func() {}, nil
	}
	name, err := p.Engine.FindPolicy(policy)
	if err != nil {
		return nil, exitcode.UsageError(fmt.Errorf("--explain: %w", err))
	}
	w := cmd.OutOrStdout()
	for _, d := range out.Destinations {
		if d.File == "" && d.Format.Name != "table" {
			w = cmd.ErrOrStderr()
		}
	}
	var got *engine.Explained
	p.Explain = name
	p.Explained = func(ex *engine.Explained) { got = ex }
	return func() {
		if got != nil {
			writeExplained(w, got)
		}
	}, nil
}

// writeExplained renders the explanations: per finding its location and
// message, the rule's file, then its lines, each with the values it had.
// An explanation is at most 15 lines.
func writeExplained(w io.Writer, ex *engine.Explained) {
	n := len(ex.Explanations) + ex.Unexplained
	fmt.Fprintf(w, "\nexplain %s: %d %s\n", ex.Policy, n, plural(n, "finding", "findings"))
	for _, x := range ex.Explanations {
		f := x.Finding
		loc := f.Location()
		if loc == "" {
			loc = "-"
		}
		kind := "deny"
		if f.Kind == report.Warn {
			kind = "warn"
		}
		fmt.Fprintf(w, "\n%s  %s  %s\n", kind, loc, f.Message)
		fmt.Fprintf(w, "  %s (rule %s)\n", x.File, x.Rule)
		width := 0
		for _, l := range x.Lines {
			if len(l.Values) > 0 {
				width = max(width, utf8.RuneCountInString(l.Text))
			}
		}
		width = min(width, 60)
		for _, l := range x.Lines {
			line := fmt.Sprintf("  %4d | %s", l.Row, l.Text)
			if len(l.Values) > 0 {
				vals := make([]string, len(l.Values))
				for i, b := range l.Values {
					vals[i] = b.Name + " = " + b.Value
				}
				pad := max(width-utf8.RuneCountInString(l.Text), 0)
				line += strings.Repeat(" ", pad) + "   # " + strings.Join(vals, ", ")
			}
			fmt.Fprintln(w, line)
		}
		if x.Omitted > 0 {
			fmt.Fprintf(w, "  … %d more %s\n", x.Omitted, plural(x.Omitted, "line", "lines"))
		}
	}
	if ex.Unexplained > 0 {
		fmt.Fprintf(w, "\n… %d more %s not explained (at most %d are)\n", ex.Unexplained, plural(ex.Unexplained, "finding", "findings"), engine.MaxExplanations)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
