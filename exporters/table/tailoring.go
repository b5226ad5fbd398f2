package table

import (
	"fmt"
	"strings"

	"github.com/assay-dev/assay/core/report"
)

// Bounds of the params the table lists; -f json lists them all.
const (
	maxParams = 8
	maxValue  = 80 // bytes of a param value
)

// writeTailoring lists, above the summary, the overlays applied (name and
// the start of the file's SHA-256), every policy they disabled with its
// reason, and every severity they changed: a tailored run must say so.
func (t *Exporter) writeTailoring(b *strings.Builder, r *report.Report) {
	tl := r.Tailoring
	if tl.Empty() {
		return
	}
	for _, o := range tl.Overlays {
		fmt.Fprintf(b, "%s %s (sha256 %s, %s)\n", t.paint(cyan, "overlay"), o.Name, o.Short(), report.Shorten(o.File, maxText))
	}
	for _, d := range tl.Disabled {
		fmt.Fprintf(b, "%s %s/%s by %s: %s\n", t.paint(cyan, "disabled"), d.Bundle, d.Policy, d.Overlay, oneLine(report.Shorten(d.Reason, maxText)))
	}
	for _, s := range tl.Severities {
		fmt.Fprintf(b, "%s %s/%s %s → %s by %s\n", t.paint(cyan, "severity"), s.Bundle, s.Policy, s.From, s.To, s.Overlay)
	}
	for i, p := range tl.Params {
		if i == maxParams {
			fmt.Fprintf(b, "%s and %d more (-f json lists them)\n", t.paint(cyan, "param"), len(tl.Params)-i)
			break
		}
		fmt.Fprintf(b, "%s %s.%s = %s by %s\n", t.paint(cyan, "param"), p.Bundle, p.Name, paramChange(p.Value, p.Default), p.Overlay)
	}
}

// paramChange writes a param's value and default: both in full when they
// are short, else what a long list lost and gained, which is what a reader
// wants of an allow-list an overlay narrowed.
func paramChange(value, def any) string {
	v, d := report.ValueText(value), report.ValueText(def)
	if len(v)+len(d) <= maxValue {
		return fmt.Sprintf("%s (default %s)", v, d)
	}
	vl, vok := value.([]any)
	dl, dok := def.([]any)
	if !vok || !dok {
		return fmt.Sprintf("%s (default %s)", report.Shorten(v, maxValue), report.Shorten(d, maxValue))
	}
	removed, added := listDiff(dl, vl), listDiff(vl, dl)
	var parts []string
	if len(removed) > 0 {
		parts = append(parts, "without "+report.Shorten(strings.Join(removed, ", "), 2*maxValue))
	}
	if len(added) > 0 {
		parts = append(parts, "adding "+report.Shorten(strings.Join(added, ", "), 2*maxValue))
	}
	if len(parts) == 0 {
		parts = append(parts, "the default reordered")
	}
	return fmt.Sprintf("%d values (default %d: %s)", len(vl), len(dl), strings.Join(parts, "; "))
}

// listDiff lists the elements of a that b lacks, as text.
func listDiff(a, b []any) []string {
	in := map[string]bool{}
	for _, e := range b {
		in[report.ValueText(e)] = true
	}
	var out []string
	for _, e := range a {
		if s := report.ValueText(e); !in[s] {
			out = append(out, strings.Trim(s, `"`))
		}
	}
	return out
}
