// Package html writes a report as one self-contained HTML page (-f html,
// assay report): the document an auditor opens from a mail attachment or an
// artifact store, with no network and no server.
//
// Everything is inline: one stylesheet and one small script, both allowed
// by their SHA-256 in a Content-Security-Policy that allows nothing else
// (no inline event handler, no other script, no request of any kind). Every
// string of the report — paths, file lines, hostnames, messages, titles —
// goes through html/template's contextual escaping, and characters that
// reorder or hide text (bidi controls such as U+202E, other control
// characters) are shown as their code point. The page reads completely
// without JavaScript; the script only adds filters, search, expand/collapse
// and the target selector.
//
// For size, findings are grouped under their policy and each policy section
// is laid out only when it scrolls into view (content-visibility); nothing
// is rendered from a data island, so what the page holds is in its markup.
package html

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
)

// Format is the output format -f html.
func Format() exporters.Format {
	return exporters.Format{
		Name: "html",
		Ext:  ".html",
		Help: "one self-contained HTML page for people and auditors (findings with evidence, scores, provenance); no network needed",
		New:  func(w io.Writer, o exporters.Options) exporters.Exporter { return New(w, o) },
	}
}

// Exporter writes the report as an HTML page.
type Exporter struct {
	w    io.Writer
	gate report.Gate
}

// New returns an HTML exporter writing to w. The gate decides the verdict
// and the findings that fail it.
func New(w io.Writer, o exporters.Options) *Exporter { return &Exporter{w: w, gate: o.Gate} }

// Export implements exporters.Exporter. A multi-target report is one page
// with a report per target; a target that could not be scanned shows its
// reason as the failure of a pseudo collector "target".
func (e *Exporter) Export(ctx context.Context, r *report.Report) error {
	if !r.Multi() {
		in := Input{Report: r, ExitCode: e.gate.ExitCode(r), Failing: e.gate.FailingCount(r), Documents: r.Documents}
		return Render(ctx, e.w, Page{Generator: r.Tool, Reports: []Input{in}})
	}
	var ins []Input
	for i := range r.Targets {
		t := &r.Targets[i]
		in := TargetInput(r, t)
		in.ExitCode, in.Failing = e.gate.TargetExitCode(t), e.gate.FailingCount(in.Report)
		ins = append(ins, in)
	}
	return Render(ctx, e.w, Page{Generator: r.Tool, Reports: ins})
}

// TargetInput is the report to render for one section t of the
// multi-target report r, without its gate's verdict (ExitCode, Failing): a
// target that could not be scanned shows its reason as the failure of a
// pseudo collector "target".
func TargetInput(r *report.Report, t *report.TargetResult) Input {
	rep := t.Report
	if rep == nil {
		rep = &report.Report{Tool: r.Tool}
	}
	if t.Status == report.TargetFailed {
		c := *rep
		c.Collectors = append([]report.CollectorResult{{Type: "target", Name: string(rep.Target.Kind), Status: report.CollectorFailed,
			Error: "target not scanned: " + t.Error}}, rep.Collectors...)
		rep = &c
	}
	return Input{Report: rep, Documents: rep.Documents}
}

// Input is one report to render, with what its gate decided: a scan's own,
// or the summary saved in a JSON report.
type Input struct {
	Report *report.Report
	// Source is the file the report was read from ("" for a scan).
	Source    string
	ExitCode  int
	Failing   int
	Documents int
}

// Page is what one HTML file shows: one report, or several (a fleet, a set
// of images) with a target selector.
type Page struct {
	// Title is the page title; by default it names the target(s).
	Title string
	// Generator is the assay that renders the page.
	Generator report.Tool
	Reports   []Input
}

var (
	//go:embed report.html.tmpl
	pageTemplate string
	//go:embed style.css
	style string
	//go:embed script.js
	script string

	// tmpl is parsed on first use: every command would otherwise pay
	// for it when the program starts, and most never render a page.
	tmpl = sync.OnceValue(func() *template.Template {
		return template.Must(template.New("page").Funcs(template.FuncMap{
			"text":     text,
			"plain":    plain,
			"tallyRow": func(t, all tally, kind string) tallyRowView { return tallyRowView{T: t, All: all, Kind: kind} },
		}).Parse(pageTemplate))
	})
)

type tallyRowView struct {
	T, All tally
	Kind   string
}

// CSP is the page's Content-Security-Policy: nothing may load or run but
// the page's own stylesheet and script, named by their SHA-256. There is no
// 'unsafe-inline' and no 'unsafe-hashes', so an injected element, inline
// event handler or style attribute does nothing, and default-src 'none'
// blocks every request (images, fonts, fetch, frames). form-action and
// base-uri close the last ways a page can send or redirect.
var CSP = fmt.Sprintf("default-src 'none'; style-src '%s'; script-src '%s'; base-uri 'none'; form-action 'none'",
	Hash(style), Hash(script))

// Hash is the CSP source expression of an inline element's content.
func Hash(content string) string {
	sum := sha256.Sum256([]byte(content))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// Render writes the page. It checks ctx before it starts and while the page
// is written, so a cancelled run stops.
func Render(ctx context.Context, w io.Writer, p Page) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cw := &ctxWriter{ctx: ctx, w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	err := execute(bw, buildPage(p.Title, strings.TrimSpace(p.Generator.Name+" "+p.Generator.Version), p.Reports))
	if err == nil {
		err = bw.Flush()
	}
	switch {
	case cw.err != nil:
		return cw.err
	case err != nil:
		return fmt.Errorf("render html report: %w", err)
	}
	return nil
}

// execute writes the page of a view.
func execute(w io.Writer, view *page) error {
	return tmpl().Execute(w, struct {
		CSP    string
		Style  template.CSS
		Script template.JS
		Page   *page
	}{CSP, template.CSS(style), template.JS(script), view})
}

// ctxWriter stops the template when the context ends or the destination
// fails, and keeps why.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
	err error
}

func (c *ctxWriter) Write(b []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if err := c.ctx.Err(); err != nil {
		c.err = err
		return 0, err
	}
	n, err := c.w.Write(b)
	if err != nil {
		c.err = fmt.Errorf("write html report: %w", err)
	}
	return n, c.err
}

// plain is text for places that hold no markup (the title, an option, an
// attribute a browser displays): neutralised characters become their code
// point in brackets.
func plain(s string) string {
	segs := segments(s)
	if len(segs) == 1 && !segs[0].Ctl {
		return segs[0].Text
	}
	var b bytes.Buffer
	for _, s := range segs {
		if s.Ctl {
			b.WriteString("[" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}
