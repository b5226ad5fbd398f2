package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/assay-dev/assay/exporters/html/browsertest"
)

// xssBundle reports every line of the files under /etc/app, with the
// line as evidence, and every file by its path; its own metadata carries
// markup too, as a bundle from a registry may.
const xssBundle = `bundle "hostile" {
  version = "1.0.0"
}

collect "file" "app" {
  paths   = ["/etc/app"]
  capture = true
}

policy "echo-lines" {
  title       = "<script>alert('title')</script> lines"
  description = "\"><img src=x onerror=alert('description')>"
  severity    = "high"
  enforcement = "mandatory"
  remediation = "See javascript:alert('remediation')"
  controls    = ["XSS-<b>1</b>"]
  input       = [collect.file.app]
  rego        = <<-EOT
    package hostile.echo_lines

    deny contains {"msg": sprintf("line: %s", [line]), "line": i + 1, "evidence": line} if {
    	some i, line in input.content.lines
    	line != ""
    }

    deny contains {"msg": sprintf("file %s", [input.path])} if {
    	input.type == "file"
    }
  EOT
}
`

// xssLines are the payloads the target's file lines carry; xssNames the
// file names (no "/" in a name).
var (
	xssLines = []string{
		`<script>alert(1)</script>`,
		`"><img src=x onerror=alert(1)>`,
		`<img src=x onerror=console.error('pwned')>`,
		`<a href="javascript:alert(1)">click</a>`,
		`javascript:alert(1)`,
		"name = invoice\u202Etxt.exe",
	}
	xssNames = []string{
		`<img src=x onerror=alert(1)>.conf`,
		`"><svg onload=alert(1)>.conf`,
		`javascript:alert(1)`,
		"invoice\u202Etxt.exe",
	}
)

// TestHTMLReportXSSCorpus scans a root filesystem whose file names and
// lines are script payloads, renders the report both ways (-f html and
// assay report), and opens each page in Chromium: no dialog opens, no
// script runs, nothing is requested, and every payload is there as text.
func TestHTMLReportXSSCorpus(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "rootfs")
	app := filepath.Join(root, "etc", "app")
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range xssNames {
		if err := os.WriteFile(filepath.Join(app, name), []byte(strings.Join(xssLines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bundleDir := filepath.Join(dir, "hostile")
	if err := os.MkdirAll(bundleDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundleDir, "bundle.hcl"), []byte(xssBundle), 0o644); err != nil {
		t.Fatal(err)
	}
	scanned := filepath.Join(dir, "scan.html")
	jsonReport := filepath.Join(dir, "report.json")
	if code := run([]string{"scan", "-b", bundleDir, "--root", root, "-f", "html=" + scanned, "-f", "json=" + jsonReport}); code != 1 {
		t.Fatalf("scan exited %d, want 1 (findings)", code)
	}
	rendered := filepath.Join(dir, "rendered.html")
	if code := run([]string{"report", jsonReport, "-o", rendered}); code != 0 {
		t.Fatalf("assay report exited %d", code)
	}
	data, err := os.ReadFile(jsonReport)
	if err != nil {
		t.Fatal(err)
	}
	var saved struct {
		Findings []struct {
			Message string `json:"message"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &saved); err != nil {
		t.Fatal(err)
	}
	want := len(xssNames) * (len(xssLines) + 1)
	if len(saved.Findings) != want {
		t.Fatalf("%d findings, want %d: one per line and one per file", len(saved.Findings), want)
	}

	b := browsertest.Start(t)
	for _, page := range []string{scanned, rendered} {
		t.Run(filepath.Base(page), func(t *testing.T) {
			p := b.Open(t, page, browsertest.Options{})
			if !browsertest.Eval[bool](t, p, `document.documentElement.hasAttribute('data-ready')`) {
				t.Fatal("the page's own script did not run")
			}
			// Expand everything and let every lazily laid-out section render,
			// so an injected element would have had its chance to fire.
			p.Do(t, chromedp.Click(chromedp.ID("expand")),
				chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, document.body.scrollHeight)`),
				chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise))
			p.CheckQuiet(t)
			if c := p.Console(); len(c) > 0 {
				t.Errorf("the page wrote to the console: %q", c)
			}
			for expr, want := range map[string]int{
				`document.scripts.length`:                           1,
				`document.images.length`:                            0,
				`document.querySelectorAll('svg:not(.bar)').length`: 0,
				`document.querySelectorAll('a[href^="javascript"], a[href^="JAVASCRIPT"]').length`:                             0,
				`[...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length`: 0,
				`document.querySelectorAll('tr.o').length`:                                                                     want,
			} {
				if got := browsertest.Eval[int](t, p, expr); got != want {
					t.Errorf("%s = %d, want %d", expr, got, want)
				}
			}
			text := browsertest.Eval[string](t, p, `document.body.innerText`)
			if strings.ContainsRune(text, '\u202E') {
				t.Error("the page shows a raw U+202E: the text after it reads reversed")
			}
			for _, s := range append(append([]string{}, xssLines...), xssNames...) {
				if shown := strings.ReplaceAll(s, "\u202E", "U+202E"); !strings.Contains(text, shown) {
					t.Errorf("the payload %q is not shown as text", shown)
				}
			}
			for _, s := range []string{`<script>alert('title')</script> lines`, `"><img src=x onerror=alert('description')>`, `javascript:alert('remediation')`, `XSS-<b>1</b>`} {
				if !strings.Contains(text, s) {
					t.Errorf("the bundle's text %q is not shown as text", s)
				}
			}
		})
	}
}

// TestHTMLReportScreenshot renders the demo root filesystem's report and
// takes screenshots in light and dark into the test output directory
// ($ASSAY_BROWSER_OUT). With $ASSAY_README_SCREENSHOT set, the light one is
// also written there: that is how docs/images/report.png is made
// (docs/output.md).
func TestHTMLReportScreenshot(t *testing.T) {
	page := filepath.Join(t.TempDir(), "demo.html")
	out := browsertest.OutputDir(t)
	readme := os.Getenv("ASSAY_README_SCREENSHOT")
	if readme != "" && !filepath.IsAbs(readme) {
		t.Fatalf("ASSAY_README_SCREENSHOT=%s: give an absolute path", readme)
	}
	// From the repository's root, so the page names the target as the
	// README does.
	t.Chdir(filepath.Join("..", ".."))
	if code := run([]string{"scan", "--root", "examples/demo/rootfs", "-f", "html=" + page}); code != 1 {
		t.Fatalf("scan exited %d, want 1", code)
	}
	b := browsertest.Start(t)
	for _, scheme := range []string{"light", "dark"} {
		p := b.Open(t, page, browsertest.Options{ColorScheme: scheme, Width: 1100, Height: 1300})
		p.CheckQuiet(t)
		png := browsertest.Run(t, p, chromedp.CaptureScreenshot())
		if err := os.WriteFile(filepath.Join(out, "report-"+scheme+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		if readme != "" && scheme == "light" {
			if err := os.WriteFile(readme, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
