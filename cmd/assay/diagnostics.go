package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// renderDiagnostics prints diagnostics the way compilers do, so that editors
// and CI logs make them clickable:
//
//	bundle.hcl:6:14: error: Invalid severity
//	    6 |   severity = "severe"
//	      |              ^^^^^^^^
//	  Severity "severe" is not one of info, low, medium, high, critical.
//
// Errors and warnings alike; files holds the sources for the snippets.
func renderDiagnostics(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File) {
	color := colorAllowed(w)
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + "\x1b[0m"
	}
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	for _, d := range diags {
		level := paint("\x1b[1;31m", "error")
		if d.Severity == hcl.DiagWarning {
			level = paint("\x1b[1;33m", "warning")
		}
		if d.Subject == nil {
			fmt.Fprintf(bw, "%s: %s\n", level, d.Summary)
		} else {
			s := d.Subject
			fmt.Fprintf(bw, "%s:%d:%d: %s: %s\n", s.Filename, s.Start.Line, s.Start.Column, level, paint("\x1b[1m", d.Summary))
			if f := files[s.Filename]; f != nil {
				writeSnippet(bw, f.Bytes, *s, paint)
			}
		}
		if d.Detail != "" {
			for _, line := range strings.Split(d.Detail, "\n") {
				fmt.Fprintf(bw, "  %s\n", line)
			}
		}
		bw.WriteByte('\n')
	}
}

// maxSnippet is the widest source line shown, in characters: a minified or
// binary file has "lines" of megabytes.
const maxSnippet = 120

// writeSnippet prints the subject's first line with a caret underline.
func writeSnippet(w io.Writer, src []byte, rng hcl.Range, paint func(string, string) string) {
	lines := bytes.Split(src, []byte("\n"))
	if rng.Start.Line < 1 || rng.Start.Line > len(lines) {
		return
	}
	line := printable(strings.TrimRight(string(lines[rng.Start.Line-1]), "\r"))
	startCol := max(rng.Start.Column, 1)
	width := 1
	if rng.End.Line == rng.Start.Line && rng.End.Column > startCol {
		width = rng.End.Column - startCol
	} else if rng.End.Line > rng.Start.Line {
		width = max(len(line)-startCol+1, 1)
	}
	// A long line shows a window around the subject, marked by ellipses.
	from := 0
	if len(line) > maxSnippet {
		from = max(0, min(startCol-1-maxSnippet/4, len(line)-maxSnippet))
		to := min(from+maxSnippet, len(line))
		shown := string(line[from:to])
		if from > 0 {
			shown = "…" + shown
		}
		if to < len(line) {
			shown += "…"
		}
		width = max(min(width, to-(startCol-1)), 1)
		fmt.Fprintf(w, "%5d | %s\n", rng.Start.Line, shown)
		if from > 0 {
			from-- // the leading ellipsis takes a column
		}
	} else {
		fmt.Fprintf(w, "%5d | %s\n", rng.Start.Line, string(line))
	}
	fmt.Fprintf(w, "%s%s%s\n", strings.Repeat(" ", 5)+" | ", strings.Repeat(" ", max(startCol-1-from, 0)), paint("\x1b[1;31m", strings.Repeat("^", width)))
}

// printable returns line as runes safe to print on a terminal: a tab
// becomes a space, other control characters and invalid UTF-8 (a binary
// file, or an escape sequence planted in a bundle) become U+FFFD, one
// column each so the caret stays under the subject.
func printable(line string) []rune {
	out := make([]rune, 0, len(line))
	for _, r := range line {
		switch {
		case r == '\t':
			r = ' '
		case r == utf8.RuneError, unicode.IsControl(r):
			r = utf8.RuneError
		}
		out = append(out, r)
	}
	return out
}
