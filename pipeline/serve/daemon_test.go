package serve_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/exporter-toolkit/web"
	"golang.org/x/crypto/bcrypt"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/internal/testenv"
	"github.com/assay-dev/assay/pipeline/serve"
)

// fakeScanner hands out reports or errors in order, and can be held so a
// test can observe the daemon while a scan is running.
type fakeScanner struct {
	mu        sync.Mutex
	results   []func(ctx context.Context) (*report.Report, error)
	calls     atomic.Int32
	reloads   atomic.Int32
	reloadErr error
}

func (f *fakeScanner) Scan(ctx context.Context) (*report.Report, error) {
	n := int(f.calls.Add(1)) - 1
	f.mu.Lock()
	var fn func(context.Context) (*report.Report, error)
	if n < len(f.results) {
		fn = f.results[n]
	} else if len(f.results) > 0 {
		fn = f.results[len(f.results)-1]
	}
	f.mu.Unlock()
	if fn == nil {
		return exportertest.Violations(), nil
	}
	return fn(ctx)
}

func (f *fakeScanner) Reload(context.Context) error {
	f.reloads.Add(1)
	return f.reloadErr
}

func ok(context.Context) (*report.Report, error) { return exportertest.Violations(), nil }

func fail(context.Context) (*report.Report, error) { return nil, errors.New("bundle vanished") }

// start runs a daemon on a loopback port and returns its base URL and a stop
// function that waits for Run to return and reports its error.
func start(t *testing.T, d *serve.Daemon) (string, func() error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d.Listeners = []net.Listener{l}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(10 * time.Second):
				runErr = errors.New("Run did not return within 10s of cancellation")
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return "http://" + l.Addr().String(), stop
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitScans(t *testing.T, d *serve.Daemon, n int) {
	t.Helper()
	for range n {
		select {
		case <-d.Scanned():
		case <-time.After(10 * time.Second):
			t.Fatal("no scan ended within 10s")
		}
	}
}

func TestServe(t *testing.T) {
	release := make(chan struct{})
	fs := &fakeScanner{results: []func(context.Context) (*report.Report, error){
		func(ctx context.Context) (*report.Report, error) { <-release; return ok(ctx) },
		ok,
	}}
	d := &serve.Daemon{Scan: fs.Scan, Interval: time.Hour, Version: "1.2.3"}
	scanned := d.Scanned()
	base, stop := start(t, d)

	// Before the first scan completes: alive, not ready, no findings yet.
	waitHTTP(t, base+"/healthz")
	if code, _ := get(t, base+"/-/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("ready before the first scan: %d", code)
	}
	if _, body := get(t, base+"/metrics"); strings.Contains(body, "assay_findings") || !strings.Contains(body, "assay_scans_total 0") {
		t.Errorf("metrics before the first scan:\n%s", grep(body, "assay_"))
	}
	close(release)
	<-scanned
	if code, body := get(t, base+"/-/ready"); code != http.StatusOK || body != "ready\n" {
		t.Errorf("ready after a scan: %d %q", code, body)
	}
	code, body := get(t, base+"/metrics")
	for _, want := range []string{
		`assay_findings{bundle="ssh-baseline",enforcement="mandatory",kind="deny",policy="sshd-password-auth",policy_severity="high"} 1`,
		"assay_scan_success 1", "assay_scans_total 1", "assay_scan_failures_total 0",
		`assay_build_info{goversion=`, `version="1.2.3"`, "go_goroutines ", "assay_last_scan_success_timestamp_seconds ",
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	promtool(t, body)
	if code, body := get(t, base+"/"); code != 200 || !strings.Contains(body, `href="metrics"`) {
		t.Errorf("landing page: %d", code)
	}
	if code, _ := get(t, base+"/nope"); code != 404 {
		t.Errorf("unknown path: %d", code)
	}
	if err := stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not up: %v", url, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func grep(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func promtool(t *testing.T, text string) {
	t.Helper()
	bin, ok := testenv.OptionalTool(t, "promtool", "prometheus")
	if !ok {
		return
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestFailureKeepsLastGood: a failed, timed-out or panicking scan keeps the
// last good findings and raises the error metrics; the daemon carries on.
func TestFailureKeepsLastGood(t *testing.T) {
	for name, bad := range map[string]func(context.Context) (*report.Report, error){
		"error":     fail,
		"timeout":   func(ctx context.Context) (*report.Report, error) { <-ctx.Done(); return nil, ctx.Err() },
		"panic":     func(context.Context) (*report.Report, error) { panic("collector bug") },
		"no report": func(context.Context) (*report.Report, error) { return nil, nil },
	} {
		t.Run(name, func(t *testing.T) {
			fs := &fakeScanner{results: []func(context.Context) (*report.Report, error){ok, bad, bad, ok}}
			d := &serve.Daemon{Scan: fs.Scan, Interval: time.Millisecond, ScanTimeout: 50 * time.Millisecond}
			scanned := d.Scanned()
			base, stop := start(t, d)
			<-scanned
			waitScans(t, d, 2) // two failures
			_, body := get(t, base+"/metrics")
			stop()
			// Counters were read after at least 3 scans; more may have run.
			for _, want := range []string{`policy="sshd-password-auth",policy_severity="high"} 1`, "assay_scan_failures_total 2"} {
				if !strings.Contains(body, want) {
					t.Errorf("/metrics lacks %q:\n%s", want, grep(body, "assay_scan"))
				}
			}
			if !d.Ready() {
				t.Error("a later failure made the daemon unready")
			}
		})
	}
}

// TestScrapeNeverWaits: while a scan hangs, scrapes are answered from the
// last report.
func TestScrapeNeverWaits(t *testing.T) {
	hold := make(chan struct{})
	defer close(hold)
	fs := &fakeScanner{results: []func(context.Context) (*report.Report, error){ok,
		func(ctx context.Context) (*report.Report, error) { <-hold; return ok(ctx) }}}
	d := &serve.Daemon{Scan: fs.Scan, Interval: time.Millisecond, ScanTimeout: time.Hour}
	scanned := d.Scanned()
	base, _ := start(t, d)
	<-scanned
	for fs.calls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	for range 20 {
		resp, err := client.Get(base + "/metrics")
		if err != nil {
			t.Fatalf("scrape during a scan: %v", err)
		}
		resp.Body.Close()
	}
}

func TestReload(t *testing.T) {
	fs := &fakeScanner{}
	d := &serve.Daemon{Scan: fs.Scan, Reload: fs.Reload, Interval: time.Hour}
	scanned := d.Scanned()
	base, _ := start(t, d)
	<-scanned

	// SIGHUP, as an operator would send it; Run has installed its handler.
	next := d.Scanned()
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-next:
	case <-time.After(10 * time.Second):
		t.Fatal("SIGHUP did not lead to a reload and scan")
	}
	if fs.reloads.Load() != 1 || fs.calls.Load() != 2 {
		t.Errorf("reloads %d scans %d, want 1 and 2", fs.reloads.Load(), fs.calls.Load())
	}
	_, body := get(t, base+"/metrics")
	if !strings.Contains(body, "assay_config_last_reload_successful 1") {
		t.Errorf("reload metric:\n%s", grep(body, "assay_config"))
	}

	fs.reloadErr = errors.New("bundle.hcl:3: syntax error")
	next = d.Scanned()
	d.RequestReload()
	<-next
	_, body = get(t, base+"/metrics")
	if !strings.Contains(body, "assay_config_last_reload_successful 0") || !strings.Contains(body, "assay_scan_success 1") {
		t.Errorf("failed reload:\n%s", grep(body, "assay_"))
	}
}

func TestBadConfig(t *testing.T) {
	addr := []string{"127.0.0.1:0"}
	bad := filepath.Join(t.TempDir(), "web.yml")
	os.WriteFile(bad, []byte("tls_server_config:\n  cert_file: /nonexistent.crt\n  key_file: /nonexistent.key\n"), 0o600)
	junk := filepath.Join(t.TempDir(), "junk.yml")
	os.WriteFile(junk, []byte("not: [valid"), 0o600)
	missing := "/nonexistent/web.yml"
	for _, tc := range []struct {
		name string
		d    *serve.Daemon
		want string
	}{
		{"no scan", &serve.Daemon{Interval: time.Minute, Web: web.FlagConfig{WebListenAddresses: &addr}}, "no scan function"},
		{"zero interval", &serve.Daemon{Scan: ok, Web: web.FlagConfig{WebListenAddresses: &addr}}, "interval"},
		{"negative jitter", &serve.Daemon{Scan: ok, Interval: time.Minute, Jitter: -1, Web: web.FlagConfig{WebListenAddresses: &addr}}, "jitter"},
		{"no listener", &serve.Daemon{Scan: ok, Interval: time.Minute}, "no listen address"},
		{"bad tls files", &serve.Daemon{Scan: ok, Interval: time.Minute, Web: web.FlagConfig{WebListenAddresses: &addr, WebConfigFile: &bad}}, "web config"},
		{"junk web config", &serve.Daemon{Scan: ok, Interval: time.Minute, Web: web.FlagConfig{WebListenAddresses: &addr, WebConfigFile: &junk}}, "web config"},
		{"missing web config", &serve.Daemon{Scan: ok, Interval: time.Minute, Web: web.FlagConfig{WebListenAddresses: &addr, WebConfigFile: &missing}}, "web config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := tc.d.Run(ctx); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run: %v, want an error about %q", err, tc.want)
			}
		})
	}
	// A port already taken: Run reports the listener error instead of hanging.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := []string{l.Addr().String()}
	d := &serve.Daemon{Scan: ok, Interval: time.Minute, Web: web.FlagConfig{WebListenAddresses: &taken}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Run(ctx); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("taken port: %v", err)
	}
}

// TestTLSAndBasicAuth uses exporter-toolkit's web config file: HTTPS only,
// and /metrics needs the password.
func TestTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	os.WriteFile(filepath.Join(dir, "tls.crt"), certPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "tls.key"), keyPEM, 0o600)
	hash, err := bcrypt.GenerateFromPassword([]byte("hunter2"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "web.yml")
	os.WriteFile(cfg, fmt.Appendf(nil, "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\nbasic_auth_users:\n  prometheus: %s\n", hash), 0o600)

	d := &serve.Daemon{Scan: ok, Interval: time.Hour, Web: web.FlagConfig{WebConfigFile: &cfg}}
	scanned := d.Scanned()
	base, _ := start(t, d)
	<-scanned
	https := strings.Replace(base, "http://", "https://", 1)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	do := func(url, user, pass string) int {
		req, _ := http.NewRequest("GET", url, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := do(https+"/metrics", "", ""); c != http.StatusUnauthorized {
		t.Errorf("no credentials: %d", c)
	}
	if c := do(https+"/metrics", "prometheus", "wrong"); c != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", c)
	}
	if c := do(https+"/metrics", "prometheus", "hunter2"); c != http.StatusOK {
		t.Errorf("right password: %d", c)
	}
	resp, err := http.Get(base + "/metrics") // plain HTTP to a TLS port
	if err == nil {
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP served metrics")
		}
		resp.Body.Close()
	}
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "assay-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// TestGzip: a gzip scrape is one valid gzip member (the report's text and
// the live metrics) equal to the plain scrape, checked by Go's reader in
// single-member mode and by the gzip program.
func TestGzip(t *testing.T) {
	d := &serve.Daemon{Scan: ok, Interval: time.Hour}
	scanned := d.Scanned()
	base, _ := start(t, d)
	<-scanned
	fetch := func(enc string) []byte {
		req, _ := http.NewRequest("GET", base+"/metrics", nil)
		req.Header.Set("Accept-Encoding", enc)
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if got := resp.Header.Get("Content-Encoding"); (enc == "gzip") != (got == "gzip") {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", enc, got)
		}
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	plain, zipped := fetch("identity"), fetch("gzip")
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip stream: %v", err)
	}
	stripVolatile := func(b []byte) string {
		var keep []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "assay_") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if stripVolatile(unzipped) != stripVolatile(plain) || !strings.Contains(string(unzipped), "assay_findings{") || !strings.Contains(string(unzipped), "assay_scans_total 1") {
		t.Errorf("gzip scrape differs from the plain one:\n%s", unzipped)
	}
	if gz, ok := testenv.OptionalTool(t, "gzip", "gzip"); ok {
		cmd := exec.Command(gz, "-t")
		cmd.Stdin = bytes.NewReader(zipped)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("gzip -t: %v %s", err, out)
		}
	}
}

// TestCollectorOverruns: each completed scan that reports a collector still
// running from an earlier scan counts one overrun for it; the other
// collectors have the series at 0; a failed scan counts nothing.
func TestCollectorOverruns(t *testing.T) {
	with := func(status report.CollectorStatus) func(context.Context) (*report.Report, error) {
		return func(context.Context) (*report.Report, error) {
			r := exportertest.Violations()
			r.Collectors = append(r.Collectors, report.CollectorResult{Bundle: "files", Type: "file", Name: "stuck", Status: status})
			return r, nil
		}
	}
	fs := &fakeScanner{results: []func(context.Context) (*report.Report, error){
		with(report.CollectorTimeout), with(report.CollectorStillRunning), fail, with(report.CollectorStillRunning), with(report.CollectorOK),
	}}
	d := &serve.Daemon{Scan: fs.Scan, Interval: time.Millisecond}
	scanned := d.Scanned()
	base, stop := start(t, d)
	<-scanned
	waitScans(t, d, 5)
	_, body := get(t, base+"/metrics")
	stop()
	for _, want := range []string{
		"# TYPE assay_collector_overruns_total counter",
		`assay_collector_overruns_total{bundle="files",collector="file.stuck"} 2`,
		`assay_collector_overruns_total{bundle="files",collector="file.slow"} 0`,
		`assay_collector_overruns_total{bundle="ssh-baseline",collector="sshd_config.main"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, grep(body, "assay_collector_overruns"))
		}
	}
}
