package serve

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	assayprom "github.com/assay-dev/assay/exporters/prometheus"
)

// The reports the /metrics compression benchmarks serve.
//
// fleetReport is a host scanned with the built-in bundles (their 31 policies
// and 4 collect blocks, as `assay scan -f prometheus` on a real host shows
// them), 15 of them failing, on a busy segment: 3 interfaces and 200
// neighbours. migReport adds an `assay mig import` bundle of 4,000
// per-user searches: 4,000 policies and 4,000 collect blocks, 1% failing.
func fleetReport() *report.Report {
	builtin := []struct {
		bundle, id string
		sev        report.Severity
	}{
		{"authorized-keys", "authorized-keys-lines", report.SeverityHigh},
		{"authorized-keys", "authorized-keys-known", report.SeverityCritical},
		{"rogue-hosts", "rogue-hosts-unknown-neighbor", report.SeverityMedium},
		{"rogue-hosts", "rogue-hosts-local-neighbor", report.SeverityLow},
		{"rogue-hosts", "rogue-hosts-unowned-neighbor", report.SeverityHigh},
	}
	for _, p := range []struct {
		id  string
		sev report.Severity
	}{
		{"sshd-permit-root-login", report.SeverityHigh}, {"sshd-password-auth", report.SeverityHigh},
		{"sshd-kbd-interactive", report.SeverityMedium}, {"sshd-permit-empty-passwords", report.SeverityCritical},
		{"sshd-max-auth-tries", report.SeverityMedium}, {"sshd-client-alive", report.SeverityMedium},
		{"sshd-login-grace-time", report.SeverityLow}, {"sshd-x11-forwarding", report.SeverityMedium},
		{"sshd-tcp-forwarding", report.SeverityMedium}, {"sshd-disable-forwarding", report.SeverityMedium},
		{"sshd-hostbased-auth", report.SeverityHigh}, {"sshd-ignore-rhosts", report.SeverityHigh},
		{"sshd-log-level", report.SeverityLow}, {"sshd-ciphers", report.SeverityHigh},
		{"sshd-macs", report.SeverityHigh}, {"sshd-kex", report.SeverityHigh},
		{"sshd-host-keys", report.SeverityMedium}, {"sshd-banner", report.SeverityLow},
		{"sshd-max-startups", report.SeverityMedium}, {"sshd-max-sessions", report.SeverityLow},
		{"sshd-use-pam", report.SeverityMedium}, {"sshd-permit-user-environment", report.SeverityMedium},
		{"sshd-gssapi", report.SeverityLow}, {"sshd-access-limited", report.SeverityMedium},
		{"sshd-strict-modes", report.SeverityLow}, {"sshd-config-valid", report.SeverityHigh},
	} {
		builtin = append(builtin, struct {
			bundle, id string
			sev        report.Severity
		}{"ssh-baseline", p.id, p.sev})
	}
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "assay", Version: "1.2.3"},
		Target:        target.Info{Kind: target.KindHost, Name: "/"},
		Host:          "web-0042.eu-west-1.example.internal",
		StartedAt:     time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
		Duration:      31 * time.Millisecond,
		Timings:       report.Timings{TotalSeconds: 0.031102662, CollectSeconds: 0.027211, EvaluateSeconds: 0.003891},
		Bundles: []report.Bundle{
			{Name: "authorized-keys", Version: "1.0.0", Source: "policies/authorized-keys"},
			{Name: "rogue-hosts", Version: "1.0.0", Source: "policies/rogue-hosts"},
			{Name: "ssh-baseline", Version: "1.0.0", Source: "policies/ssh-baseline"},
		},
		Collectors: []report.CollectorResult{
			{Bundle: "authorized-keys", Type: "file", Name: "authorized_keys", Status: report.CollectorOK, Documents: 12, DurationSeconds: 0.026064217},
			{Bundle: "rogue-hosts", Type: "interfaces", Name: "all", Status: report.CollectorOK, Documents: 3, DurationSeconds: 0.000975261},
			{Bundle: "rogue-hosts", Type: "neighbors", Name: "cache", Status: report.CollectorOK, Documents: 200, DurationSeconds: 0.000314678},
			{Bundle: "ssh-baseline", Type: "sshd_config", Name: "main", Status: report.CollectorOK, Documents: 2, DurationSeconds: 0.022692997},
		},
		Net: &report.Net{Interfaces: []report.NetInterface{
			{Name: "eth0", MAC: "0a:58:0a:f4:00:2a"}, {Name: "eth1", MAC: "0a:58:0a:f5:00:2a"}, {Name: "docker0", MAC: "02:42:3c:1d:7e:01"},
		}},
	}
	for i, p := range builtin {
		pol := report.PolicyResult{Bundle: p.bundle, ID: p.id, Title: p.id, Severity: p.sev, Enforcement: report.Mandatory,
			Status: report.StatusPass, Documents: 2}
		if i%2 == 0 && len(r.Findings) < 15 {
			pol.Status, pol.Findings = report.StatusFail, 1
			f := report.Finding{Bundle: p.bundle, PolicyID: p.id, Title: p.id, Kind: report.Deny, Severity: p.sev,
				Enforcement: report.Mandatory, Message: "violation", Target: "/"}
			f.ComputeFingerprint()
			r.Findings = append(r.Findings, f)
		}
		r.Policies = append(r.Policies, pol)
	}
	for i := range 200 {
		r.Net.Neighbors = append(r.Net.Neighbors, report.NetNeighbor{Interface: "eth0",
			IP: fmt.Sprintf("10.244.%d.%d", i/250, 2+i%250), MAC: fmt.Sprintf("0a:58:0a:f4:%02x:%02x", i/256, i%256), Source: "arp_cache"})
	}
	return r
}

func migReport() *report.Report {
	r := fleetReport()
	r.Bundles = append(r.Bundles, report.Bundle{Name: "mig-authorized-keys", Version: "0.0.0", Source: "/etc/assay/mig-authorized-keys"})
	for i := range 4000 {
		id := fmt.Sprintf("user%05d", i)
		pol := report.PolicyResult{Bundle: "mig-authorized-keys", ID: id, Title: "MIG search " + id, Severity: report.SeverityMedium,
			Enforcement: report.Mandatory, Status: report.StatusPass, Documents: 0}
		if i%100 == 0 {
			pol.Status, pol.Findings, pol.Documents = report.StatusFail, 1, 1
			f := report.Finding{Bundle: "mig-authorized-keys", PolicyID: id, Kind: report.Deny, Severity: report.SeverityMedium,
				Enforcement: report.Mandatory, Message: "unexpected key", Target: "/", Collector: "file." + id}
			f.ComputeFingerprint()
			r.Findings = append(r.Findings, f)
		}
		r.Policies = append(r.Policies, pol)
		r.Collectors = append(r.Collectors, report.CollectorResult{Bundle: "mig-authorized-keys", Type: "file", Name: id,
			Status: report.CollectorOK, Documents: pol.Documents, DurationSeconds: 0.0001 + float64(i%97)/1e6})
	}
	return r
}

// prometheusAccept is what Prometheus 3 sends by default (no native
// histograms): it gets the text format from both the daemon and promhttp.
const prometheusAccept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

// discard is a ResponseWriter that counts the bytes and keeps the last
// response when asked to, so that a benchmark measures the handler and not
// a recorder's buffer growth.
type discard struct {
	h    http.Header
	n    int
	keep *bytes.Buffer
}

func (w *discard) Header() http.Header { return w.h }
func (w *discard) WriteHeader(int)     {}
func (w *discard) Write(p []byte) (int, error) {
	w.n += len(p)
	if w.keep != nil {
		w.keep.Write(p)
	}
	return len(p), nil
}

// cpuTime is the process's user and system CPU time: garbage collection runs
// on other threads, so ns/op alone understates what an allocating handler
// costs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// gzip6 compresses the pre-rendered report text and the live metrics whole,
// as the daemon does, but at the default level, the one promhttp uses.
func gzip6(d *Daemon) http.HandlerFunc {
	pool := &sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}
	return func(w http.ResponseWriter, _ *http.Request) {
		var live bytes.Buffer
		_ = assayprom.Encode(&live, d.registry)
		w.Header().Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
		w.Header().Set("Content-Encoding", "gzip")
		zw := pool.Get().(*gzip.Writer)
		defer pool.Put(zw)
		zw.Reset(w)
		if text := d.report.Load(); text != nil {
			zw.Write(*text)
		}
		zw.Write(live.Bytes())
		zw.Close()
	}
}

// BenchmarkMetricsCompression serves /metrics to a gzip-accepting Prometheus
// in several ways, over the same report and the same live registry:
//
//   - gzip1: the daemon as it is: the report's text, rendered once per
//     scan, and the live metrics compressed whole per scrape with
//     compress/gzip at BestSpeed;
//   - gzip6: the same at the default level, the one promhttp uses;
//   - promhttp: promhttp.HandlerFor over the report's collector and the live
//     registry: gather, encode and gzip per scrape, nothing kept per scan;
//   - identity: the daemon uncompressed, for reference.
//
// live=cold rebuilds the live Go and process metrics on every scrape, as at
// 10 replicas every 15 s, where the 1 s cache mostly misses; live=cached
// is the daemon's 1 s cache always hitting, as at 100 scrapes/s.
// The spliced gzip the daemon had before (report blocks deflated once per
// scan, live metrics deflated per scrape and spliced after them, the CRC
// continued by hand) was enc=splice here up to commit cfcc2e3; its figures
// are in docs/metrics.md.
//
// Besides ns/op it reports cpu-ns/op (process CPU, garbage collection
// included) and wire-B/op (response bytes).
func BenchmarkMetricsCompression(b *testing.B) {
	type approach struct {
		name    string
		enc     string
		handler func(d *Daemon) http.Handler
	}
	daemonHandler := func(d *Daemon) http.Handler { return http.HandlerFunc(d.serveMetrics) }
	approaches := []approach{
		{"gzip1", "gzip", daemonHandler},
		{"gzip6", "gzip", func(d *Daemon) http.Handler { return gzip6(d) }},
		{"promhttp", "gzip", nil}, // built below: it needs the report's collector
		{"identity", "identity", daemonHandler},
	}
	for _, body := range []struct {
		name string
		r    func() *report.Report
	}{{"fleet", fleetReport}, {"mig", migReport}} {
		for _, live := range []string{"cold", "cached"} {
			d := benchDaemon(b, body.r(), live == "cold")
			for _, a := range approaches {
				h := http.Handler(nil)
				if a.handler != nil {
					h = a.handler(d)
				} else {
					g := prom.NewRegistry()
					g.MustRegister(assayprom.NewReportCollector(body.r()))
					h = promhttp.HandlerFor(prom.Gatherers{g, d.registry}, promhttp.HandlerOpts{})
				}
				req, _ := http.NewRequest("GET", "/metrics", nil)
				req.Header.Set("Accept", prometheusAccept)
				req.Header.Set("Accept-Encoding", a.enc)
				checkBody(b, h, req, a.enc == "gzip")
				b.Run(fmt.Sprintf("body=%s/live=%s/enc=%s", body.name, live, a.name), func(b *testing.B) {
					w := &discard{h: http.Header{}}
					b.ReportAllocs()
					cpu0 := cpuTime()
					for b.Loop() {
						clear(w.h)
						w.n = 0
						h.ServeHTTP(w, req)
					}
					b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
					b.ReportMetric(float64(w.n), "wire-B/op")
				})
			}
		}
	}
}

// benchDaemon is a daemon that has completed one scan of r, not running.
func benchDaemon(b *testing.B, r *report.Report, cold bool) *Daemon {
	d := &Daemon{Version: "1.2.3"}
	d.init()
	if cold {
		d.registry = prom.NewRegistry()
		d.registry.MustRegister(d.state, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	var buf bytes.Buffer
	if err := assayprom.Render(&buf, assayprom.NewReportCollector(r)); err != nil {
		b.Fatal(err)
	}
	text := buf.Bytes()
	d.report.Store(&text)
	d.state.ScanSucceeded(time.Now())
	return d
}

// checkBody makes sure every approach serves the same report series in the
// text format, compressed when asked.
func checkBody(b *testing.B, h http.Handler, req *http.Request, zipped bool) {
	b.Helper()
	w := &discard{h: http.Header{}, keep: &bytes.Buffer{}}
	h.ServeHTTP(w, req)
	body := w.keep.Bytes()
	if got := w.h.Get("Content-Encoding") == "gzip"; got != zipped {
		b.Fatalf("Content-Encoding %q", w.h.Get("Content-Encoding"))
	}
	if zipped {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		zr.Multistream(false)
		if body, err = io.ReadAll(zr); err != nil {
			b.Fatal(err)
		}
	}
	if ct := w.h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		b.Fatalf("Content-Type %q", ct)
	}
	if !bytes.Contains(body, []byte(`assay_net_neighbor_info{interface="eth0",ip="10.244.0.201"`)) || !bytes.Contains(body, []byte("\ngo_goroutines ")) {
		b.Fatalf("body lacks the report or the live metrics:\n%.2000s", body)
	}
}
