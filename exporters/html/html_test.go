package html_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/exporters/html"
	"github.com/assay-dev/assay/internal/golden"
)

func render(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := html.New(&buf, exporters.Options{}).Export(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var inline = regexp.MustCompile(`(?s)(<style>|<script>).*?(</style>|</script>)`)

// TestGolden compares the markup of every sample with its golden file. The
// stylesheet and the script are left out (they are the package's own
// files); the CSP line keeps their hashes, so a change to either shows.
func TestGolden(t *testing.T) {
	for _, c := range exportertest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			got := inline.ReplaceAll(render(t, c.Report), []byte("$1…$2"))
			golden.Check(t, c.Name+".html", got)
		})
	}
}

func TestErrors(t *testing.T) {
	exportertest.CheckErrors(t, func(w io.Writer) exporters.Exporter { return html.New(w, exporters.Options{}) })
}

// doc is a page parsed by golang.org/x/net/html, which implements the
// HTML5 parsing algorithm browsers use: what it finds is what a browser
// builds.
type doc struct {
	root *xhtml.Node
}

func parse(t *testing.T, b []byte) doc {
	t.Helper()
	n, err := xhtml.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc{n}
}

func (d doc) all(fn func(n *xhtml.Node)) {
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		fn(n)
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(d.root)
}

func (d doc) elements(tag string) []*xhtml.Node {
	var out []*xhtml.Node
	d.all(func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode && n.Data == tag {
			out = append(out, n)
		}
	})
	return out
}

func attr(n *xhtml.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *xhtml.Node) string {
	var b strings.Builder
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// checkInert asserts what makes a page safe whatever the report held: one
// script and one stylesheet, both the package's own and allowed by the CSP
// hash; no event handler or style attribute; no link but to the page's own
// ids; ids unique; no element a report could have injected.
func checkInert(t *testing.T, page []byte) doc {
	t.Helper()
	d := parse(t, page)
	scripts, styles := d.elements("script"), d.elements("style")
	if len(scripts) != 1 || len(styles) != 1 {
		t.Fatalf("%d scripts and %d stylesheets, want 1 and 1", len(scripts), len(styles))
	}
	if _, ok := attr(scripts[0], "src"); ok {
		t.Error("the script has a src")
	}
	metas := d.elements("meta")
	var csp string
	for _, m := range metas {
		if v, _ := attr(m, "http-equiv"); strings.EqualFold(v, "Content-Security-Policy") {
			csp, _ = attr(m, "content")
		}
	}
	if csp != html.CSP {
		t.Errorf("CSP meta %q, want %q", csp, html.CSP)
	}
	for _, want := range []string{html.Hash(text(scripts[0])), html.Hash(text(styles[0])), "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("the CSP %q lacks %s: the browser would block the page's own script or style", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("the CSP allows something unsafe: %s", csp)
	}
	ids := map[string]bool{}
	var hrefs []string
	allowed := map[string]bool{}
	for _, tag := range strings.Fields(`html head meta title style body a header h1 h2 h3 h4 p nav ol ul li span form fieldset legend label input select option button
		main article section dl div dt dd code time table caption thead tbody tr th td details summary strong svg title rect bdi pre script footer`) {
		allowed[tag] = true
	}
	d.all(func(n *xhtml.Node) {
		if n.Type != xhtml.ElementNode {
			return
		}
		if !allowed[n.Data] {
			t.Errorf("unexpected element <%s>: markup from the report?", n.Data)
		}
		for _, a := range n.Attr {
			switch {
			case strings.HasPrefix(strings.ToLower(a.Key), "on"):
				t.Errorf("event handler attribute %s=%q on <%s>", a.Key, a.Val, n.Data)
			case a.Key == "style":
				t.Errorf("style attribute on <%s>: the CSP blocks it", n.Data)
			case a.Key == "id":
				if ids[a.Val] {
					t.Errorf("duplicate id %q", a.Val)
				}
				ids[a.Val] = true
			case a.Key == "href" || a.Key == "src" || a.Key == "action" || a.Key == "formaction":
				hrefs = append(hrefs, a.Val)
			}
		}
	})
	for _, h := range hrefs {
		frag, ok := strings.CutPrefix(h, "#")
		if !ok {
			t.Errorf("link %q leaves the page", h)
			continue
		}
		id, err := url.PathUnescape(frag)
		if err != nil || !ids[id] {
			t.Errorf("link %q names no element of the page (%v)", h, err)
		}
	}
	return d
}

func TestInert(t *testing.T) {
	for _, c := range exportertest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			d := checkInert(t, render(t, c.Report))
			body := text(d.root)
			for _, f := range c.Report.Findings {
				if msg := visible(f.Message); !strings.Contains(body, msg) {
					t.Errorf("the page lacks the message %q", msg)
				}
			}
		})
	}
}

// visible is how the page shows text: a control character as its code
// point.
func visible(s string) string {
	var b strings.Builder
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == '\u202E' {
			fmt.Fprintf(&b, "U+%04X", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// payloads are what a target, a bundle or a waiver file can put in any
// string of a report.
var payloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`'><svg onload=alert(1)>`,
	`javascript:alert(1)`,
	`</style><script>alert(1)</script>`,
	`{{.}}<!--`,
	"invoice\u202Etxt.exe",
}

func hostile() *report.Report {
	p := strings.Join(payloads, " ")
	f := report.Finding{Bundle: p, PolicyID: p, Title: p, Kind: report.Deny, Severity: report.SeverityHigh, Enforcement: report.Mandatory,
		Controls: []string{p}, Message: p, Remediation: p, Target: p, Collector: p, Path: p, Line: 3,
		Details: map[string]any{"evidence": p, p: p, "nested": map[string]any{p: []any{p}}}}
	f.ComputeFingerprint()
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "assay", Version: p},
		Target:        target.Info{Kind: target.KindRoot, Name: p, Digest: p},
		Host:          p,
		StartedAt:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Bundles:       []report.Bundle{{Name: p, Version: p, Source: p, Description: p, Digest: p, Revision: p}},
		Collectors: []report.CollectorResult{{Bundle: p, Type: p, Name: p, Status: report.CollectorFailed, Error: p,
			Skipped: []report.Skip{{Path: p, Reason: p}}, SkippedTotal: 9}},
		Policies: []report.PolicyResult{
			{Bundle: p, ID: p, Title: p, Description: p, Severity: report.SeverityHigh, Enforcement: report.Mandatory, Controls: []string{p},
				Remediation: p, Source: p, Status: report.StatusFail, Findings: 1},
			{Bundle: p, ID: p + "2", Title: p, Severity: report.SeverityLow, Status: report.StatusError, Error: p},
			{Bundle: p, ID: p + "3", Title: p, Severity: report.SeverityLow, Status: report.StatusSkip, Error: p},
			{Bundle: p, ID: p + "4", Title: p, Severity: report.SeverityLow, Status: report.StatusPass, Controls: []string{p}},
		},
		Findings:    []report.Finding{f},
		DataSources: []report.DataSource{{Bundle: p, Name: p, Kind: p, Error: p}},
	}
}

// TestHostileStrings: every string of a report carries markup, script URLs
// and a bidi override; the page must hold them as text only.
func TestHostileStrings(t *testing.T) {
	page := render(t, hostile())
	d := checkInert(t, page)
	if bytes.ContainsRune(page, '\u202E') {
		t.Error("the page holds a raw U+202E: it would reverse the text after it")
	}
	body := text(d.root)
	for _, p := range payloads {
		if want := visible(p); !strings.Contains(body, want) {
			t.Errorf("the payload %q is not shown as text", want)
		}
	}
}

func TestMultipleReports(t *testing.T) {
	var buf bytes.Buffer
	a, b := exportertest.Violations(), exportertest.Violations()
	b.Target.Name, b.Host = "/", "web-2"
	p := html.Page{Generator: report.Tool{Name: "assay", Version: "test"}, Reports: []html.Input{
		{Report: a, Source: "web-1.json", ExitCode: 1},
		{Report: b, Source: "web-2.json", ExitCode: 1},
		{Report: exportertest.CleanImage(), Source: "image.json"},
	}}
	if err := html.Render(context.Background(), &buf, p); err != nil {
		t.Fatal(err)
	}
	d := checkInert(t, buf.Bytes())
	if n := len(d.elements("article")); n != 3 {
		t.Errorf("%d articles, want one per report", n)
	}
	options := 0
	for _, s := range d.elements("select") {
		if id, _ := attr(s, "id"); id == "target" {
			for c := s.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == xhtml.ElementNode && c.Data == "option" {
					options++
				}
			}
		}
	}
	if options != 4 {
		t.Errorf("the target selector has %d options, want all targets and one per report", options)
	}
	// The first report keeps plain anchors; the others are prefixed.
	for _, id := range []string{"sshd-password-auth", "t2/ssh-baseline/sshd-password-auth", "t3/image-baseline/no-root-user"} {
		if !bytes.Contains(buf.Bytes(), []byte(`id="`+id+`"`)) {
			t.Errorf("no element with id %q", id)
		}
	}
}
