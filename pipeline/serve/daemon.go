// Package daemon is `assay serve`: it scans on an interval (with jitter and a
// timeout), keeps the last good report, and serves it as Prometheus metrics
// on /metrics, with /healthz and /-/ready, TLS and basic auth through the
// Prometheus exporter-toolkit web configuration file. A scrape never starts
// or waits for a scan.
package serve

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/assay-dev/assay/core/report"
	assayprom "github.com/assay-dev/assay/exporters/prometheus"
)

// Daemon runs periodic scans and serves their metrics. Fill the fields and
// call Run; a Daemon runs once.
type Daemon struct {
	// Scan runs one scan. It must honour ctx (the scan timeout).
	Scan func(ctx context.Context) (*report.Report, error)
	// Reload re-reads the bundles on SIGHUP; nil means nothing to reload.
	Reload func(ctx context.Context) error
	// Interval is the time between the end of a scan and the start of the
	// next; Jitter adds a random [0, Jitter) to each wait so that a fleet
	// does not scan in lockstep. A Jitter longer than Interval counts as
	// Interval; DefaultJitter is what assay serve uses unless told.
	Interval, Jitter time.Duration
	// ScanTimeout bounds one scan; 0 means Interval.
	ScanTimeout time.Duration
	// BundleRefresh, when set, reloads the bundles this often, as SIGHUP
	// does: remote sources are fetched again (a 304 when unchanged), and a
	// new version that fails to fetch, verify or load leaves the running
	// one in place.
	BundleRefresh time.Duration
	// ShutdownTimeout bounds the graceful HTTP shutdown; 0 means 5s.
	ShutdownTimeout time.Duration
	// Web holds the listen addresses and the web config file (TLS, basic
	// auth), as exporter-toolkit reads them.
	Web web.FlagConfig
	// Listeners, if set, are served instead of Web.WebListenAddresses
	// (tests, socket activation).
	Listeners []net.Listener
	// Version is published in assay_build_info.
	Version string
	Logger  *slog.Logger

	once     sync.Once
	state    *assayprom.StateCollector
	registry *prom.Registry // live metrics: state, Go runtime, process
	// report is the text exposition of the last good report, rendered once
	// per scan so that a scrape costs a copy, not a gather of every series.
	report    atomic.Pointer[[]byte]
	inFlight  chan struct{}
	handler   http.Handler
	ready     atomic.Bool
	reloads   chan struct{}
	scanned   chan struct{} // closed-and-replaced after each scan, for tests
	scannedMu sync.Mutex
}

func (d *Daemon) init() {
	d.once.Do(func() {
		if d.Logger == nil {
			d.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		}
		d.state = assayprom.NewStateCollector(d.Version)
		d.registry = prom.NewRegistry()
		d.inFlight = make(chan struct{}, 64)
		d.registry.MustRegister(d.state,
			&cachedCollector{c: collectors.NewGoCollector(), ttl: time.Second},
			&cachedCollector{c: collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), ttl: time.Second})
		d.reloads = make(chan struct{}, 1)
		d.scanned = make(chan struct{})

		mux := http.NewServeMux()
		mux.HandleFunc("/metrics", d.serveMetrics)
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprintln(w, "ok")
		})
		mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			if !d.ready.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintln(w, "not ready: no scan has completed yet")
				return
			}
			fmt.Fprintln(w, "ready")
		})
		mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><title>assay</title><h1>assay</h1><p>Policy-as-code compliance scanner.</p>`+
				`<ul><li><a href="metrics">metrics</a></li><li><a href="healthz">healthz</a></li><li><a href="-/ready">ready</a></li></ul>`)
		})
		d.handler = mux
	})
}

// Handler serves /metrics, /healthz, /-/ready and a landing page, without
// TLS or authentication (Run adds those).
func (d *Daemon) Handler() http.Handler {
	d.init()
	return d.handler
}

// PolicyOverBudget counts, in assay_policy_memory_exceeded_total, a scan
// in which the policy was stopped for exceeding the memory budget.
func (d *Daemon) PolicyOverBudget(bundle, policy string) {
	d.init()
	d.state.PolicyOverBudget(bundle, policy)
}

// Ready reports whether a scan has completed.
func (d *Daemon) Ready() bool { return d.ready.Load() }

// refreshBundles requests a reload every BundleRefresh until ctx ends.
func (d *Daemon) refreshBundles(ctx context.Context) {
	t := time.NewTicker(d.BundleRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.RequestReload()
		}
	}
}

// RequestReload asks the scan loop to reload the bundles and scan again, as
// SIGHUP does. It never blocks; requests made during a reload coalesce.
func (d *Daemon) RequestReload() {
	d.init()
	select {
	case d.reloads <- struct{}{}:
	default:
	}
}

// Scanned returns a channel closed when the next scan attempt ends.
func (d *Daemon) Scanned() <-chan struct{} {
	d.init()
	d.scannedMu.Lock()
	defer d.scannedMu.Unlock()
	return d.scanned
}

// DefaultJitter is the jitter for an interval when none is given: a tenth
// of it (30s for the default 5m), so that a short interval is not
// stretched by a jitter meant for a long one.
func DefaultJitter(interval time.Duration) time.Duration { return interval / 10 }

func (d *Daemon) check() error {
	switch {
	case d.Scan == nil:
		return errors.New("serve: no scan function")
	case d.Interval <= 0:
		return fmt.Errorf("serve: interval %v must be positive", d.Interval)
	case d.Jitter < 0:
		return fmt.Errorf("serve: jitter %v must not be negative", d.Jitter)
	case d.ScanTimeout < 0:
		return fmt.Errorf("serve: scan timeout %v must not be negative", d.ScanTimeout)
	case len(d.Listeners) == 0 && (d.Web.WebListenAddresses == nil || len(*d.Web.WebListenAddresses) == 0):
		return errors.New("serve: no listen address")
	}
	if d.Web.WebConfigFile != nil && *d.Web.WebConfigFile != "" {
		if err := web.Validate(*d.Web.WebConfigFile); err != nil {
			return fmt.Errorf("serve: web config %q: %w", *d.Web.WebConfigFile, err)
		}
	}
	return nil
}

// Run serves and scans until ctx ends (SIGTERM in assay serve), then shuts
// the HTTP server down gracefully. SIGHUP reloads the bundles. It returns an
// error only if the daemon cannot start or a listener fails.
func (d *Daemon) Run(ctx context.Context) error {
	d.init()
	if err := d.check(); err != nil {
		return err
	}
	flags := d.Web
	if flags.WebConfigFile == nil {
		empty := ""
		flags.WebConfigFile = &empty
	}
	srv := &http.Server{
		Handler:           d.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(d.Logger.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() {
		var err error
		if len(d.Listeners) > 0 {
			err = web.ServeMultiple(d.Listeners, srv, &flags, d.Logger)
		} else {
			err = web.ListenAndServe(srv, &flags, d.Logger)
		}
		serveErr <- err
	}()

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if d.BundleRefresh > 0 {
		go d.refreshBundles(ctx)
	}

	loopCtx, stopLoop := context.WithCancel(ctx)
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		d.loop(loopCtx, hup)
	}()

	var err error
	select {
	case <-ctx.Done():
		d.Logger.Info("shutting down")
	case err = <-serveErr:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		if err != nil {
			err = fmt.Errorf("serve: %w", err)
		}
	}
	stopLoop()
	timeout := d.ShutdownTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	shCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if shErr := srv.Shutdown(shCtx); shErr != nil {
		// Scrapes still running after the grace period are cut off: a
		// daemon asked to stop must stop.
		d.Logger.Warn("closing connections still open after the shutdown grace period", "timeout", timeout)
		srv.Close()
	}
	<-loopDone
	return err
}

func (d *Daemon) loop(ctx context.Context, hup <-chan os.Signal) {
	timer := time.NewTimer(0) // the first scan starts at once
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			d.reload(ctx)
		case <-d.reloads:
			d.reload(ctx)
		case <-timer.C:
		}
		if ctx.Err() != nil {
			return
		}
		d.scanOnce(ctx)
		if !timer.Stop() {
			select { // drain a fire that raced with a reload
			case <-timer.C:
			default:
			}
		}
		timer.Reset(d.wait())
	}
}

func (d *Daemon) wait() time.Duration {
	w := d.Interval
	if j := min(d.Jitter, d.Interval); j > 0 {
		w += rand.N(j)
	}
	return w
}

func (d *Daemon) reload(ctx context.Context) {
	if d.Reload == nil {
		return
	}
	d.Logger.Info("reloading bundles")
	err := d.Reload(ctx)
	d.state.Reloaded(err == nil, time.Now())
	if err != nil {
		d.Logger.Error("reload failed; keeping the bundles already loaded", "err", err)
	}
}

// scanOnce runs one scan under the timeout. A failure (error, timeout,
// panic) keeps the last good report and raises assay_scan_success to 0.
func (d *Daemon) scanOnce(ctx context.Context) {
	timeout := d.ScanTimeout
	if timeout == 0 {
		timeout = d.Interval
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	r, err := d.safeScan(sctx)
	if err == nil && r == nil {
		err = errors.New("scan returned no report")
	}
	switch {
	case ctx.Err() != nil:
		// shutting down: an interrupted scan is not a failure to report
	case err != nil:
		if sctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("scan timed out after %v: %w", timeout, err)
		}
		d.state.ScanFailed()
		d.Logger.Error("scan failed; serving the last good results", "err", err, "duration", time.Since(start))
	default:
		var buf bytes.Buffer
		if err := assayprom.Render(&buf, assayprom.NewReportCollector(r)); err != nil {
			d.state.ScanFailed()
			d.Logger.Error("scan results cannot be published; serving the last good results", "err", err)
			break
		}
		text := buf.Bytes()
		d.report.Store(&text)
		d.state.Collected(r.Collectors)
		d.state.ScanSucceeded(time.Now())
		d.ready.Store(true)
		d.Logger.Info("scan completed", "findings", len(r.Findings), "duration", time.Since(start))
	}
	d.scannedMu.Lock()
	close(d.scanned)
	d.scanned = make(chan struct{})
	d.scannedMu.Unlock()
}

// serveMetrics writes the last report's pre-rendered metrics and the live
// ones, in the text format, gzipped when the client accepts it. The whole
// body is compressed on every scrape, at BestSpeed: docs/metrics.md
// ("Compression of /metrics") has what that costs at Prometheus's rates.
func (d *Daemon) serveMetrics(w http.ResponseWriter, r *http.Request) {
	select {
	case d.inFlight <- struct{}{}:
		defer func() { <-d.inFlight }()
	default:
		http.Error(w, "too many concurrent scrapes", http.StatusServiceUnavailable)
		return
	}
	var live bytes.Buffer
	if err := assayprom.Encode(&live, d.registry); err != nil {
		// the report part is still worth serving; the error is in the log
		d.Logger.Error("gather live metrics", "err", err)
	}
	w.Header().Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	var out io.Writer = w
	if gzipAccepted(r) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		gz := gzipPool.Get().(*gzip.Writer)
		gz.Reset(w)
		defer func() {
			_ = gz.Close() // an error means the client went away
			gzipPool.Put(gz)
		}()
		out = gz
	}
	if text := d.report.Load(); text != nil {
		if _, err := out.Write(*text); err != nil {
			return // the client went away
		}
	}
	_, _ = out.Write(live.Bytes())
}

var gzipPool = sync.Pool{New: func() any {
	gz, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return gz
}}

func gzipAccepted(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func (d *Daemon) safeScan(ctx context.Context) (r *report.Report, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("scan panicked: %v", p)
		}
	}()
	return d.Scan(ctx)
}
