// Package browsertest drives a headless Chromium for the HTML report's
// tests: it opens a page from disk and records what the page did — every
// request, console message, uncaught exception and dialog — so a test can
// assert that a report loads nothing, logs no error and runs no injected
// script.
//
// Chromium is an oracle like sshd or promtool: without it the tests fail in
// CI (CI=true) and are skipped elsewhere (internal/testenv).
package browsertest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/assay-dev/assay/internal/testenv"
)

// Timeout bounds everything one test does in the browser: generous, since
// the machine may be busy, but a hung page fails instead of hanging.
const Timeout = 3 * time.Minute

// Browser is one headless Chromium with a fresh profile.
type Browser struct {
	ctx context.Context
}

// Start launches Chromium for the test and stops it when the test ends.
//
// Chromium runs headless, without the sandbox (it refuses to start as root
// with it, and CI runs as root) and without any traffic of its own:
// background networking, component updates, sync, QUIC and the GPU process
// are off and the profile is new, so the only requests the browser makes
// are the ones a page asks for — which is what the tests count.
func Start(t testing.TB) *Browser {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		// Its shared-memory files go with the test, not into /tmp.
		chromedp.Env("TMPDIR="+t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first action starts the browser, bound to ctx (no timeout: each
	// page has its own).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	return &Browser{ctx: ctx}
}

// chromium finds Debian's chromium (or a Chrome under another name).
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := testenv.LookTool(name); err == nil {
			return p
		}
	}
	return testenv.RequireTool(t, "chromium", "chromium")
}

// Options change how a page is opened.
type Options struct {
	// Fragment is added to the URL (without "#").
	Fragment string
	// NoScript opens the page with JavaScript disabled.
	NoScript bool
	// ColorScheme emulates prefers-color-scheme ("light" or "dark").
	ColorScheme string
	// Width and Height set the viewport (default 1280×900).
	Width, Height int64
}

// Page is one tab with a file loaded, and what the page did since.
type Page struct {
	Ctx  context.Context
	File string // the file:// URL, without fragment

	mu       sync.Mutex
	requests []string
	console  []string
	errors   []string
	dialogs  []string
}

// Open loads the file at path in a new tab and waits for its load event.
func (b *Browser) Open(t testing.TB, path string, o Options) *Page {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	p := &Page{File: (&url.URL{Scheme: "file", Path: abs}).String()}
	tab, cancelTab := chromedp.NewContext(b.ctx, chromedp.WithListener(p.listen))
	ctx, cancel := context.WithTimeout(tab, Timeout)
	t.Cleanup(func() {
		cancel()
		cancelTab()
	})
	p.Ctx = ctx
	// Attach the tab before setting it up.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	// A dialog blocks the page until it is answered: record it (the listener
	// did) and dismiss it, so a test that injected alert() fails instead of
	// hanging.
	go func() {
		for range chromedp.Events(ctx, page.JavascriptDialogOpening) {
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	w, h := o.Width, o.Height
	if w == 0 {
		w, h = 1280, 900
	}
	steps := []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(w, h)}
	if o.NoScript {
		steps = append(steps, call(emulationScriptsOff()))
	}
	if o.ColorScheme != "" {
		steps = append(steps, call(colorScheme(o.ColorScheme)))
	}
	target := p.File
	if o.Fragment != "" {
		target += "#" + url.PathEscape(o.Fragment)
	}
	steps = append(steps, chromedp.Navigate(target))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("load %s: %v", target, err)
	}
	return p
}

// call runs a protocol command as an action.
func call(f func(ctx context.Context, t *chromedp.Target) error) chromedp.Action[chromedp.Void] {
	return chromedp.Func(f)
}

// emulationScriptsOff disables JavaScript in the tab, as a reader who
// blocks scripts (or a mail client's viewer) opens the report.
func emulationScriptsOff() func(ctx context.Context, t *chromedp.Target) error {
	return func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}
}

// colorScheme emulates the reader's light or dark preference.
func colorScheme(scheme string) func(ctx context.Context, t *chromedp.Target) error {
	return func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	}
}

func (p *Page) listen(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		p.requests = append(p.requests, e.Request.URL)
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range e.Args {
			if len(a.Value) > 0 {
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			} else {
				parts = append(parts, a.Description)
			}
		}
		msg := fmt.Sprintf("console.%s: %s", e.Type, strings.Join(parts, " "))
		p.console = append(p.console, msg)
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			p.errors = append(p.errors, msg)
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg := "exception: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		p.console = append(p.console, msg)
		p.errors = append(p.errors, msg)
	case *cdplog.EventEntryAdded:
		msg := fmt.Sprintf("log %s/%s: %s", e.Entry.Source, e.Entry.Level, e.Entry.Text)
		p.console = append(p.console, msg)
		if e.Entry.Level == cdplog.EntryLevelError {
			p.errors = append(p.errors, msg)
		}
	case *page.EventJavascriptDialogOpening:
		p.dialogs = append(p.dialogs, fmt.Sprintf("%s: %s", e.Type, e.Message))
	}
}

// Requests returns every request the page made that is not the page's own
// file: a self-contained report makes none.
func (p *Page) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, u := range p.requests {
		if before, _, _ := strings.Cut(u, "#"); before != p.File {
			out = append(out, u)
		}
	}
	return out
}

// Console returns every console message, exception and browser log entry.
func (p *Page) Console() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...)
}

// Errors returns the console errors, uncaught exceptions and error-level
// log entries (a CSP violation, a failed load).
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errors...)
}

// Dialogs returns the alert, confirm and prompt dialogs the page opened.
func (p *Page) Dialogs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.dialogs...)
}

// CheckQuiet fails the test if the page made a request, logged an error or
// opened a dialog.
func (p *Page) CheckQuiet(t testing.TB) {
	t.Helper()
	if r := p.Requests(); len(r) > 0 {
		t.Errorf("the page made %d network request(s): %q", len(r), r)
	}
	if e := p.Errors(); len(e) > 0 {
		t.Errorf("the page logged %d error(s): %q", len(e), e)
	}
	if d := p.Dialogs(); len(d) > 0 {
		t.Errorf("the page opened %d dialog(s): %q", len(d), d)
	}
}

// Eval evaluates a JavaScript expression in the page and decodes its value.
func Eval[T any](t testing.TB, p *Page, expr string) T {
	t.Helper()
	v, err := chromedp.Run(p.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Do runs actions in the page's tab.
func (p *Page) Do(t testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(p.Ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// Run runs one action in the page's tab and returns its value.
func Run[T any](t testing.TB, p *Page, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(p.Ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Call sends one protocol command to the page's tab.
func Call[P, R any](t testing.TB, p *Page, cmd cdp.Command[P, R], params P) R {
	t.Helper()
	r, err := chromedp.Call(p.Ctx, cmd, params)
	if err != nil {
		t.Fatalf("%s: %v", cmd.Method, err)
	}
	return r
}

// OutputDir is where a test leaves what a person may want to look at
// (screenshots, PDFs): $ASSAY_BROWSER_OUT when set, else the test's
// temporary directory.
func OutputDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("ASSAY_BROWSER_OUT"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}
