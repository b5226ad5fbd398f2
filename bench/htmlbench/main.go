// Command htmlbench is bench/html.sh's harness: it generates a large JSON
// report, and measures how fast headless Chromium makes an HTML report
// interactive, with the browser's own clocks. It is a benchmark harness
// only, not part of assay.
//
//	htmlbench gen -o report.json -policies 200 -findings 10000
//	htmlbench measure -runs 7 report.html
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/jsonout"
	"github.com/assay-dev/assay/internal/safefile"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: htmlbench gen|measure [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "measure":
		err = measure(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "htmlbench:", err)
		os.Exit(1)
	}
}

// gen writes a report of a fleet-sized scan: policies across four
// bundles, each failing on the same number of files, every finding with a
// location, a message and an evidence line.
func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	out := fs.String("o", "report.json", "output file")
	npol := fs.Int("policies", 200, "policies, all failing")
	nfind := fs.Int("findings", 10000, "findings, spread evenly over the policies")
	_ = fs.Parse(args)
	if *npol <= 0 || *nfind < *npol {
		return errors.New("want policies > 0 and findings >= policies")
	}
	bundles := []string{"ssh-baseline", "authorized-keys", "os-hardening", "app-config"}
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "assay", Version: "bench"},
		Target:        target.Info{Kind: target.KindRoot, Name: "/srv/rootfs"},
		Host:          "bench-1",
		StartedAt:     time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Timings:       report.Timings{TotalSeconds: 4.2, CollectSeconds: 3.1, EvaluateSeconds: 1.1},
		Documents:     *nfind / 5,
	}
	for _, b := range bundles {
		r.Bundles = append(r.Bundles, report.Bundle{Name: b, Version: "1.4.0", Source: "oci://registry.example/policies/" + b + ":1.4.0",
			Digest: "sha256:4f0c2a9d3e1b7c6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa9988", Revision: "9f2c1e7"})
		r.Collectors = append(r.Collectors, report.CollectorResult{Bundle: b, Type: "file", Name: "conf", Status: report.CollectorOK,
			Documents: *nfind / 5 / len(bundles), DurationSeconds: 0.7})
	}
	per := *nfind / *npol
	for i := range *npol {
		b := bundles[i%len(bundles)]
		sev := report.Severity(i % 5)
		id := fmt.Sprintf("check-%03d", i)
		title := fmt.Sprintf("Setting %03d is hardened", i)
		controls := []string{fmt.Sprintf("CIS-%d.%d.%d", 1+i%6, 1+i%4, 1+i%13), fmt.Sprintf("NIST-AC-%d", 1+i%20)}
		remediation := fmt.Sprintf("Set `setting_%03d = strict` in the configuration and reload the service.", i)
		r.Policies = append(r.Policies, report.PolicyResult{Bundle: b, ID: id, Title: title, Severity: sev, Enforcement: report.Mandatory,
			Description: "A lax value of this setting lets an unprivileged user reach what the control protects; the benchmark asks for the strict value.",
			Controls:    controls, Remediation: remediation, Source: b + "/bundle.hcl:" + fmt.Sprint(10+i), Status: report.StatusFail,
			Documents: per, Findings: per})
		n := per
		if i == *npol-1 {
			n = *nfind - per*(*npol-1)
		}
		for j := range n {
			f := report.Finding{Bundle: b, PolicyID: id, Title: title, Kind: report.Deny, Severity: sev, Enforcement: report.Mandatory,
				Controls: controls, Remediation: remediation, Target: "/srv/rootfs", Collector: "file.conf",
				Path:    fmt.Sprintf("/srv/rootfs/etc/app/conf.d/%03d-service-%04d.conf", j%100, j),
				Line:    1 + (i*7+j)%400,
				Message: fmt.Sprintf("setting_%03d is %q; want \"strict\"", i, "lax"),
				Details: map[string]any{"evidence": fmt.Sprintf("setting_%03d = lax   # set by the vendor default, host group %d", i, j%12)}}
			f.ComputeFingerprint()
			r.Findings = append(r.Findings, f)
		}
	}
	r.Sort()
	return safefile.Write(*out, 0o644, func(w io.Writer) error {
		return jsonout.New(w, exporters.Options{}).Export(context.Background(), r)
	})
}

// run is one page load's figures, in milliseconds from navigation start
// (the Performance API's clock) unless said otherwise.
type run struct {
	DOMContentLoaded float64 // domContentLoadedEventEnd
	Load             float64 // loadEventEnd
	FCP              float64 // first-contentful-paint
	Ready            float64 // the page's script has set up its filters
	Interactive      float64 // a click on a filter, sent as soon as Ready, has applied
	Apply            float64 // that filter's own work (assay-filter-start → assay-filtered)
	Painted          float64 // the frame after the filtered page was drawn (an upper bound: it includes the harness's polling)
	ScriptMS         float64 // Performance.getMetrics: ScriptDuration
	LayoutMS         float64 // LayoutDuration + RecalcStyleDuration
	TaskMS           float64 // TaskDuration
}

func measure(args []string) error {
	fs := flag.NewFlagSet("measure", flag.ExitOnError)
	runs := fs.Int("runs", 7, "page loads")
	width := fs.Int64("width", 1280, "viewport width")
	height := fs.Int64("height", 900, "viewport height")
	_ = fs.Parse(args)
	if fs.NArg() != 1 {
		return errors.New("measure needs one HTML file")
	}
	abs, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return err
	}
	exe, err := chromium()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "htmlbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// The same flags as the browser tests (exporters/html/browsertest):
	// headless, no sandbox (root), no traffic of its own, a fresh profile.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.Env("TMPDIR="+tmp),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(bctx); err != nil {
		return fmt.Errorf("start %s: %w", exe, err)
	}
	page := (&url.URL{Scheme: "file", Path: abs}).String()
	var all []run
	for i := range *runs {
		r, err := once(bctx, page, *width, *height)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		all = append(all, r)
		fmt.Printf("run %d: dcl %.0f ms, load %.0f ms, fcp %.0f ms, ready %.0f ms, interactive %.0f ms (filter %.1f ms, painted by %.0f ms); script %.0f ms, layout+style %.0f ms, tasks %.0f ms\n",
			i+1, r.DOMContentLoaded, r.Load, r.FCP, r.Ready, r.Interactive, r.Apply, r.Painted, r.ScriptMS, r.LayoutMS, r.TaskMS)
	}
	med := func(f func(run) float64) float64 {
		v := make([]float64, len(all))
		for i, r := range all {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	fmt.Printf("median of %d: dcl %.0f ms, load %.0f ms, fcp %.0f ms, ready %.0f ms, interactive %.0f ms (filter %.1f ms, painted by %.0f ms); script %.0f ms, layout+style %.0f ms, tasks %.0f ms\n",
		len(all), med(func(r run) float64 { return r.DOMContentLoaded }), med(func(r run) float64 { return r.Load }),
		med(func(r run) float64 { return r.FCP }), med(func(r run) float64 { return r.Ready }),
		med(func(r run) float64 { return r.Interactive }), med(func(r run) float64 { return r.Apply }), med(func(r run) float64 { return r.Painted }),
		med(func(r run) float64 { return r.ScriptMS }), med(func(r run) float64 { return r.LayoutMS }), med(func(r run) float64 { return r.TaskMS }))
	return nil
}

// once loads the page in a new tab, clicks the first severity filter as
// soon as the page says it is ready, and reads the browser's clocks.
func once(bctx context.Context, page string, width, height int64) (run, error) {
	tab, cancelTab := chromedp.NewContext(bctx)
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tab, 2*time.Minute)
	defer cancel()
	var r run
	enable := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, performance.Enable, performance.EnableParams{})
		return err
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height), enable, chromedp.Navigate(page),
		chromedp.Poll[chromedp.Void](`document.documentElement.hasAttribute('data-ready')`, chromedp.WithPollingInterval(5*time.Millisecond)),
		chromedp.Click(chromedp.CSS(`input[name="severity"]`)),
		chromedp.Poll[chromedp.Void](`performance.getEntriesByName('assay-filtered').length > 0`, chromedp.WithPollingInterval(5*time.Millisecond)),
	); err != nil {
		return r, err
	}
	painted, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		return r, err
	}
	marks, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(() => {
		const nav = performance.getEntriesByType('navigation')[0];
		const at = name => { const e = performance.getEntriesByName(name); return e.length ? e[e.length - 1].startTime : -1; };
		return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, fcp: at('first-contentful-paint'),
			ready: at('assay-ready'), start: at('assay-filter-start'), filtered: at('assay-filtered')};
	})()`))
	if err != nil {
		return r, err
	}
	m, err := chromedp.Call(ctx, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		return r, err
	}
	metric := map[string]float64{}
	for _, x := range m.Metrics {
		metric[x.Name] = x.Value
	}
	r = run{DOMContentLoaded: marks["dcl"], Load: marks["load"], FCP: marks["fcp"], Ready: marks["ready"],
		Interactive: marks["filtered"], Apply: marks["filtered"] - marks["start"], Painted: painted,
		ScriptMS: 1000 * metric["ScriptDuration"], LayoutMS: 1000 * (metric["LayoutDuration"] + metric["RecalcStyleDuration"]),
		TaskMS: 1000 * metric["TaskDuration"]}
	return r, nil
}

func chromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("chromium not installed: apt-get install chromium (make deps installs it)")
}
