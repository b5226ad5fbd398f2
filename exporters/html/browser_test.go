package html_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/exporters/html"
	"github.com/assay-dev/assay/exporters/html/browsertest"
	"github.com/assay-dev/assay/exporters/jsonout"
	"github.com/assay-dev/assay/internal/testenv"
)

// writePage renders r into a file of its own and returns its path.
func writePage(t *testing.T, r *report.Report) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, render(t, r), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// summary is the JSON report's own summary: the counts the page must show.
func summary(t *testing.T, r *report.Report) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := jsonout.New(&buf, exporters.Options{}).Export(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary map[string]any `json:"summary"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Summary
}

// countVisible counts the elements a reader sees: not hidden, not inside
// a closed <details> or a hidden ancestor.
func countVisible(t *testing.T, p *browsertest.Page, selector string) int {
	t.Helper()
	return browsertest.Eval[int](t, p, `[...document.querySelectorAll(`+jsString(selector)+`)].filter(e => e.checkVisibility()).length`)
}

func count(t *testing.T, p *browsertest.Page, selector string) int {
	t.Helper()
	return browsertest.Eval[int](t, p, `document.querySelectorAll(`+jsString(selector)+`).length`)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func click(t *testing.T, p *browsertest.Page, selector string) {
	t.Helper()
	p.Do(t, chromedp.Click(chromedp.CSS(selector)))
}

// shown waits until the filter status line reads want.
func shown(t *testing.T, p *browsertest.Page, want string) {
	t.Helper()
	expr := `document.getElementById('shown').textContent === ` + jsString(want)
	if _, err := chromedp.Run(p.Ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(time.Minute))); err != nil {
		got := browsertest.Eval[string](t, p, `document.getElementById('shown').textContent`)
		t.Fatalf("the status line reads %q, want %q (%v)", got, want, err)
	}
}

// inViewport reports whether the element with the id comes to rest on
// screen (sections laid out as they scroll in may move it once).
func inViewport(t *testing.T, p *browsertest.Page, id string) bool {
	t.Helper()
	expr := `(() => { const r = document.getElementById(` + jsString(id) + `).getBoundingClientRect();
		return r.bottom > 0 && r.top >= -1 && r.top < window.innerHeight; })()`
	ctx, cancel := context.WithTimeout(p.Ctx, 10*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr))
	return err == nil
}

// TestBrowser opens reports in headless Chromium from disk, as an auditor
// opens an attachment, and uses them as a reader does: by clicking.
func TestBrowser(t *testing.T) {
	b := browsertest.Start(t)
	r := exportertest.Violations()
	path := writePage(t, r)

	t.Run("loads nothing and logs no error", func(t *testing.T) {
		p := b.Open(t, path, browsertest.Options{})
		if !browsertest.Eval[bool](t, p, `document.documentElement.hasAttribute('data-ready')`) {
			t.Fatal("the page's script did not run: is its CSP hash wrong?")
		}
		p.CheckQuiet(t)
	})

	t.Run("counts equal the JSON report's", func(t *testing.T) {
		p := b.Open(t, path, browsertest.Options{})
		got := browsertest.Eval[map[string]float64](t, p,
			`Object.fromEntries([...document.querySelectorAll('[data-count]')].map(e => [e.dataset.count, Number(e.textContent)]))`)
		s := summary(t, r)
		want := map[string]float64{
			"exit_code": s["exit_code"].(float64), "failing": s["failing"].(float64), "documents": s["documents"].(float64),
			"findings": s["findings"].(float64), "policies": float64(len(r.Policies)),
		}
		for sev, n := range s["by_severity"].(map[string]any) {
			want["severity-"+sev] = n.(float64)
		}
		for _, st := range []report.Status{report.StatusPass, report.StatusFail, report.StatusWarn, report.StatusError, report.StatusSkip} {
			n, _ := s["policies_by_status"].(map[string]any)[string(st)].(float64)
			want["status-"+string(st)] = n
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("the page shows %s = %v, the JSON report %v", k, got[k], w)
			}
		}
		if len(got) != len(want) {
			t.Errorf("the page shows counts %v, want exactly %v", got, want)
		}
		if n := count(t, p, "tr.o"); n != len(r.Findings) {
			t.Errorf("%d occurrences on the page, %d findings in the report", n, len(r.Findings))
		}
	})

	t.Run("filters by clicking", func(t *testing.T) {
		p := b.Open(t, path, browsertest.Options{})
		total := count(t, p, ".policy")
		shown(t, p, "7 policies, 5 findings shown")
		for _, c := range []struct {
			filter, hides string
			left          string
		}{
			{`input[name="severity"][value="medium"]`, `.policy[data-severity="medium"]`, "5 policies, 3 findings shown"},
			{`input[name="status"][value="pass"]`, `.policy[data-status="pass"]`, "6 policies, 5 findings shown"},
			{`input[name="bundle"][value="files"]`, `.policy[data-bundle="files"]`, "5 policies, 2 findings shown"},
		} {
			hidden := count(t, p, c.hides)
			if hidden == 0 {
				t.Fatalf("no %s on the page", c.hides)
			}
			click(t, p, c.filter)
			shown(t, p, c.left)
			if n := countVisible(t, p, c.hides); n != 0 {
				t.Errorf("%s: %d of %s still visible", c.filter, n, c.hides)
			}
			if n := countVisible(t, p, ".policy"); n != total-hidden {
				t.Errorf("%s: %d policies visible, want %d", c.filter, n, total-hidden)
			}
			click(t, p, c.filter)
			shown(t, p, "7 policies, 5 findings shown")
			if n := countVisible(t, p, ".policy"); n != total {
				t.Errorf("%s clicked again: %d policies visible, want all %d", c.filter, n, total)
			}
		}
		p.CheckQuiet(t)
	})

	t.Run("search", func(t *testing.T) {
		p := b.Open(t, path, browsertest.Options{})
		p.Do(t, chromedp.SendKeys(chromedp.ID("q"), "alice/.ssh/authorized_keys:9"))
		shown(t, p, "1 policy, 1 finding shown")
		if n := countVisible(t, p, "tr.o"); n != 1 {
			t.Errorf("%d occurrences visible, want the one on line 9", n)
		}
		click(t, p, "#show-all")
		shown(t, p, "7 policies, 5 findings shown")
	})

	t.Run("keyboard", func(t *testing.T) {
		p := b.Open(t, path, browsertest.Options{})
		// Tab from the top: the skip link, then the first severity filter.
		p.Do(t, chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"))
		if v := browsertest.Eval[string](t, p, `document.activeElement.name + '=' + document.activeElement.value`); v != "severity=critical" {
			t.Fatalf("two tabs reach %q, want the first severity filter", v)
		}
		p.Do(t, chromedp.KeyEvent(" "))
		shown(t, p, "6 policies, 5 findings shown")
		if n := countVisible(t, p, `.policy[data-severity="critical"]`); n != 0 {
			t.Errorf("space on the critical filter left %d critical policies visible", n)
		}
	})

	t.Run("deep link scrolls to the policy", func(t *testing.T) {
		for _, id := range []string{"sshd-absent", "rogue-mac"} {
			p := b.Open(t, path, browsertest.Options{Fragment: id, Width: 1000, Height: 500})
			if y := browsertest.Eval[float64](t, p, `window.scrollY`); y == 0 {
				t.Errorf("#%s: the page did not scroll", id)
			}
			if !inViewport(t, p, id) {
				t.Errorf("#%s is not in the viewport", id)
			}
		}
		// A link to a policy a filter hides shows it again.
		p := b.Open(t, path, browsertest.Options{Width: 1000, Height: 500})
		click(t, p, `input[name="severity"][value="medium"]`)
		shown(t, p, "5 policies, 3 findings shown")
		click(t, p, `a[href="#authorized-keys-format"]`)
		shown(t, p, "7 policies, 5 findings shown")
		if !inViewport(t, p, "authorized-keys-format") {
			t.Error("the filtered-out policy was not revealed in the viewport")
		}
	})

	t.Run("target selector", func(t *testing.T) {
		var buf bytes.Buffer
		err := html.Render(context.Background(), &buf, html.Page{Reports: []html.Input{
			{Report: exportertest.Violations(), Source: "web-1.json", ExitCode: 1},
			{Report: exportertest.CleanImage(), Source: "image.json"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		multi := filepath.Join(t.TempDir(), "multi.html")
		if err := os.WriteFile(multi, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		p := b.Open(t, multi, browsertest.Options{Width: 1000, Height: 500})
		shown(t, p, "8 policies, 5 findings shown")
		// The keyboard chooses the first target.
		p.Do(t, chromedp.Focus(chromedp.ID("target")), chromedp.KeyEvent(kb.ArrowDown))
		shown(t, p, "7 policies, 5 findings shown")
		if n := countVisible(t, p, "article"); n != 1 {
			t.Errorf("%d targets visible, want the one chosen", n)
		}
		// A link to the other target shows it again.
		click(t, p, `nav a[href="#t2"]`)
		shown(t, p, "8 policies, 5 findings shown")
		if !inViewport(t, p, "t2") {
			t.Error("the second target is not in the viewport")
		}
		p.CheckQuiet(t)
	})

	t.Run("everything visible without JavaScript", func(t *testing.T) {
		p := b.Open(t, path, browsertest.Options{NoScript: true})
		if browsertest.Eval[bool](t, p, `document.documentElement.hasAttribute('data-ready')`) {
			t.Fatal("the script ran: JavaScript was not disabled")
		}
		if n := countVisible(t, p, "#filters"); n != 0 {
			t.Error("the filters show without the script that makes them work")
		}
		for sel, want := range map[string]int{".policy": len(r.Policies), "tr.o": len(r.Findings), "article": 1} {
			if n := countVisible(t, p, sel); n != want {
				t.Errorf("%d %s visible without JavaScript, want %d", n, sel, want)
			}
		}
		if n := browsertest.Eval[int](t, p, `document.querySelectorAll('details:not([open])').length`); n != 0 {
			t.Errorf("%d sections are collapsed without JavaScript to open them", n)
		}
		p.CheckQuiet(t)
	})

	t.Run("the CSP blocks injected script", func(t *testing.T) {
		page, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// What an escaping bug would let through.
		inject := `<img src="x" onerror="document.documentElement.setAttribute('data-pwned', 'handler')">` +
			`<script>document.documentElement.setAttribute('data-pwned', 'script')</script>` +
			`<p id="styled" style="color: rgb(255, 0, 0)">styled</p>` +
			`<a id="jsurl" href="javascript:document.documentElement.setAttribute('data-pwned', 'url')">link</a>`
		page = bytes.Replace(page, []byte("</main>"), []byte(inject+"</main>"), 1)
		injected := filepath.Join(t.TempDir(), "injected.html")
		if err := os.WriteFile(injected, page, 0o644); err != nil {
			t.Fatal(err)
		}
		p := b.Open(t, injected, browsertest.Options{})
		click(t, p, "#jsurl")
		if v := browsertest.Eval[string](t, p, `document.documentElement.getAttribute('data-pwned') || ''`); v != "" {
			t.Errorf("injected %s ran despite the CSP", v)
		}
		if c := browsertest.Eval[string](t, p, `getComputedStyle(document.getElementById('styled')).color`); c == "rgb(255, 0, 0)" {
			t.Error("an injected style attribute applied despite the CSP")
		}
		if !browsertest.Eval[bool](t, p, `document.documentElement.hasAttribute('data-ready')`) {
			t.Error("the page's own script did not run")
		}
		violations := 0
		for _, m := range p.Console() {
			if strings.Contains(m, "Content Security Policy") {
				violations++
			}
		}
		if violations < 3 {
			t.Errorf("%d CSP violations reported, want one per injected handler, script and style: %q", violations, p.Console())
		}
	})

	t.Run("prints to PDF", func(t *testing.T) {
		pdftotext := testenv.RequireTool(t, "pdftotext", "poppler-utils")
		p := b.Open(t, path, browsertest.Options{})
		pdf := browsertest.Run(t, p, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
		out := filepath.Join(browsertest.OutputDir(t), "report.pdf")
		if err := os.WriteFile(out, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		txt, err := exec.Command(pdftotext, out, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		pages := bytes.Count(txt, []byte("\f"))
		text := strings.Join(strings.Fields(string(txt)), " ") // table cells wrap
		for _, want := range []string{"Summary", "FAIL", "Findings by severity", "Password authentication is disabled",
			"/etc/ssh/sshd_config:58", "PasswordAuthentication is yes", "Collector health", "context deadline exceeded"} {
			if !strings.Contains(text, want) {
				t.Errorf("the printed report lacks %q", want)
			}
		}
		if strings.Contains(text, "Expand all") {
			t.Error("the print shows the filter controls")
		}
		if pages < 3 || pages > 12 {
			t.Errorf("%d pages printed, want a page per major section (3 to 12)", pages)
		}
	})

	t.Run("contrast in light and dark", func(t *testing.T) {
		for _, scheme := range []string{"light", "dark"} {
			p := b.Open(t, path, browsertest.Options{ColorScheme: scheme})
			bg := browsertest.Eval[string](t, p, `getComputedStyle(document.body).backgroundColor`)
			if dark := bg == "rgb(13, 17, 23)"; dark != (scheme == "dark") {
				t.Errorf("%s: body background %s", scheme, bg)
			}
			low := browsertest.Eval[[]string](t, p, contrastJS)
			if len(low) > 0 {
				t.Errorf("%s: text below 4.5:1 contrast: %q", scheme, low)
			}
			png := browsertest.Run(t, p, chromedp.CaptureScreenshot())
			if err := os.WriteFile(filepath.Join(browsertest.OutputDir(t), "report-"+scheme+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// contrastJS lists the text elements whose colour has less than 4.5:1
// contrast (WCAG 2 AA for normal text) with the background behind them.
const contrastJS = `(() => {
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return rgb(getComputedStyle(document.documentElement).backgroundColor).slice(0, 3);
  };
  const low = [];
  const seen = new Set();
  for (const el of document.querySelectorAll('body *')) {
    if (!el.checkVisibility() || !el.childNodes.length) continue;
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const fg = lum(rgb(getComputedStyle(el).color).slice(0, 3));
    const bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const key = el.tagName + '.' + el.className;
    if (ratio < 4.5 && !seen.has(key)) { seen.add(key); low.push(key + ' ' + ratio.toFixed(2)); }
  }
  return low;
})()`
