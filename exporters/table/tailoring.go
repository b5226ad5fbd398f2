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
		fmt.Fprintf(b, "%s %s.%s = %s (default %s) by %s\n", t.paint(cyan, "param"), p.Bundle, p.Name,
			report.Shorten(report.ValueText(p.Value), maxValue), report.Shorten(report.ValueText(p.Default), maxValue), p.Overlay)
	}
}
