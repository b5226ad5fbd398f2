package source

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle/artifact"
)

// buildTiny builds testdata/tiny with a manifest.
func buildTiny(t *testing.T, m artifact.Manifest) []byte {
	t.Helper()
	if m.Name == "" {
		m = artifact.Manifest{Name: "tiny", Version: "1.2.0", Revision: "r1"}
	}
	data, err := artifact.Build(os.DirFS("testdata/tiny"), m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// signer makes an ed25519 key pair.
func signer(t *testing.T) (artifact.PrivateKey, []artifact.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	pk, err := artifact.ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	pder, _ := x509.MarshalPKIXPublicKey(pub)
	keys, err := artifact.ParsePublicKeys(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder}))
	if err != nil {
		t.Fatal(err)
	}
	return pk, keys
}

func signTiny(t *testing.T, key artifact.PrivateKey, m artifact.Manifest) []byte {
	t.Helper()
	data, err := artifact.Sign(context.Background(), buildTiny(t, m), key)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func errorsOf(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "%s: %s\n", d.Summary, d.Detail)
	}
	return b.String()
}

// bundleServer serves an archive with an ETag and counts requests and 304s.
type bundleServer struct {
	data         atomic.Pointer[[]byte]
	requests     atomic.Int32
	notModified  atomic.Int32
	hang         atomic.Bool
	truncate     atomic.Bool
	hangReleased chan struct{}
}

func (s *bundleServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.hang.Load() {
		select {
		case <-r.Context().Done():
		case <-s.hangReleased:
		}
		return
	}
	data := *s.data.Load()
	etag := fmt.Sprintf(`"%x"`, len(data)) + fmt.Sprintf(`"%x"`, data[len(data)-8:])
	etag = `"` + strings.ReplaceAll(etag, `"`, "") + `"`
	if r.Header.Get("If-None-Match") == etag {
		s.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	if s.truncate.Load() {
		w.Write(data[:len(data)/2])
		// the handler returns: the server closes the connection short
		if hj, ok := w.(http.Hijacker); ok {
			conn, _, err := hj.Hijack()
			if err == nil {
				conn.Close()
			}
		}
		return
	}
	w.Write(data)
}

func newBundleServer(t *testing.T, data []byte) (*bundleServer, *httptest.Server) {
	s := &bundleServer{hangReleased: make(chan struct{})}
	s.data.Store(&data)
	srv := httptest.NewTLSServer(s)
	t.Cleanup(func() { close(s.hangReleased); srv.Close() })
	return s, srv
}

// TestHTTPSETag: the first load downloads; the next ones send the ETag and
// get 304s; a new version on the server is downloaded again.
func TestHTTPSETag(t *testing.T) {
	ctx := context.Background()
	key, keys := signer(t)
	s, srv := newBundleServer(t, signTiny(t, key, artifact.Manifest{}))
	opts := Options{Keys: keys, CacheDir: t.TempDir(), HTTPClient: srv.Client()}
	src := srv.URL + "/tiny.tar.gz"
	for i := 0; i < 3; i++ {
		bundles, diags := LoadAll(ctx, []string{src}, opts)
		if diags.HasErrors() || len(bundles) != 1 {
			t.Fatalf("load %d: %s", i, errorsOf(diags))
		}
		b := bundles[0]
		if b.Name != "tiny" || b.Version != "1.2.0" || b.Revision != "r1" || !strings.HasPrefix(b.Digest, "sha256:") || b.Source != src || len(b.Policies) != 1 {
			t.Fatalf("bundle %+v", b)
		}
	}
	if got, want := s.notModified.Load(), int32(2); got != want {
		t.Errorf("304s = %d, want %d (of %d requests)", got, want, s.requests.Load())
	}
	v2 := signTiny(t, key, artifact.Manifest{Name: "tiny", Version: "1.2.0", Revision: "r2"})
	s.data.Store(&v2)
	bundles, diags := LoadAll(ctx, []string{src}, opts)
	if diags.HasErrors() || bundles[0].Revision != "r2" {
		t.Fatalf("after a new version: %s %+v", errorsOf(diags), bundles)
	}
}

// TestHTTPSRefuses: a hanging server, a truncated download, a tampered
// bundle, an unknown signer, plain http to another host: each refused with
// a clear message, no bundle returned, and the cache left alone.
func TestHTTPSRefuses(t *testing.T) {
	ctx := context.Background()
	key, keys := signer(t)
	otherKey, _ := signer(t)
	good := signTiny(t, key, artifact.Manifest{})
	tampered := func() []byte {
		// a well-formed archive, signed, then one file changed
		a, err := artifact.Open(ctx, good, "x", artifact.Options{})
		if err != nil {
			t.Fatal(err)
		}
		files := a.Files()
		out := map[string][]byte{}
		for n, d := range files {
			out[n] = d
		}
		out["p.rego"] = []byte("package tiny.flag\n")
		return rebuild(t, out)
	}()
	tests := []struct {
		name    string
		setup   func(s *bundleServer)
		url     func(srv *httptest.Server) string
		message string
	}{
		{"hang", func(s *bundleServer) { s.hang.Store(true) }, nil, "no answer within 300ms"},
		{"truncated", func(s *bundleServer) { s.truncate.Store(true) }, nil, "download interrupted after "},
		{"tampered", func(s *bundleServer) { s.data.Store(&tampered) }, nil, "p.rego has sha256"},
		{"unknown key", func(s *bundleServer) {
			d := signTiny(t, otherKey, artifact.Manifest{})
			s.data.Store(&d)
		}, nil, "not made by a trusted key (it names key " + otherKey.Public.ID},
		{"plain http", nil, func(*httptest.Server) string { return "http://example.invalid/tiny.tar.gz" }, "plain http is allowed only to a loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv := newBundleServer(t, good)
			cache := t.TempDir()
			opts := Options{Keys: keys, CacheDir: cache, HTTPClient: srv.Client(), Timeout: 300 * time.Millisecond}
			src := srv.URL + "/tiny.tar.gz"
			if tt.url != nil {
				src = tt.url(srv)
			}
			if tt.setup != nil {
				tt.setup(s)
			}
			start := time.Now()
			bundles, diags := LoadAll(ctx, []string{src}, opts)
			if !diags.HasErrors() || len(bundles) != 0 {
				t.Fatalf("loaded %d bundles: %s", len(bundles), errorsOf(diags))
			}
			if msg := errorsOf(diags); !strings.Contains(msg, tt.message) || !strings.Contains(msg, "Bundle refused") {
				t.Errorf("message %q, want it to contain %q", msg, tt.message)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
			if entries, _ := os.ReadDir(cache); len(entries) != 0 {
				t.Errorf("a refused bundle was cached: %v", entries)
			}
		})
	}
}

// TestNotFound: an HTTP error status is an error naming it.
func TestNotFound(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := Resolve(context.Background(), srv.URL+"/x.tar.gz", Options{CacheDir: t.TempDir(), HTTPClient: srv.Client()})
	if err == nil || !strings.Contains(err.Error(), "HTTP 404 Not Found") {
		t.Fatalf("err = %v", err)
	}
}

// TestOffline: with Offline, an unreachable source serves the last copy
// that loaded, with a warning; without it, the load fails. A source that
// answers with a bad bundle is refused even with a good cached copy.
func TestOffline(t *testing.T) {
	ctx := context.Background()
	key, keys := signer(t)
	otherKey, _ := signer(t)
	good := signTiny(t, key, artifact.Manifest{})
	s, srv := newBundleServer(t, good)
	var logs bytes.Buffer
	// A generous timeout while the server answers (a loaded CI machine is
	// slow); a short one once it hangs, so the test does not wait long.
	opts := Options{Keys: keys, CacheDir: t.TempDir(), HTTPClient: srv.Client(), Offline: true, Timeout: 30 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	src := srv.URL + "/tiny.tar.gz"
	if _, diags := LoadAll(ctx, []string{src}, opts); diags.HasErrors() {
		t.Fatal(errorsOf(diags))
	}

	bad := signTiny(t, otherKey, artifact.Manifest{})
	s.data.Store(&bad)
	if _, diags := LoadAll(ctx, []string{src}, opts); !diags.HasErrors() {
		t.Fatal("a bundle signed by another key was accepted because a good copy was cached")
	}

	s.hang.Store(true)
	opts.Timeout = 300 * time.Millisecond
	bundles, diags := LoadAll(ctx, []string{src}, opts)
	if diags.HasErrors() || len(bundles) != 1 {
		t.Fatalf("offline: %s", errorsOf(diags))
	}
	if len(diags) != 1 || diags[0].Severity != hcl.DiagWarning || !strings.Contains(diags[0].Detail, "using the copy cached") {
		t.Errorf("diagnostics %s", errorsOf(diags))
	}
	if !strings.Contains(logs.String(), "using the cached copy") {
		t.Errorf("no log line: %s", logs.String())
	}
	opts.Offline = false
	if _, diags := LoadAll(ctx, []string{src}, opts); !diags.HasErrors() {
		t.Fatal("without --bundle-cache, an unreachable source loaded")
	}
}

// TestLocal: directories load in place unless keys are required; archives
// are checked.
func TestLocal(t *testing.T) {
	ctx := context.Background()
	key, keys := signer(t)
	dir := t.TempDir()
	signed := filepath.Join(dir, "tiny.tar.gz")
	if err := os.WriteFile(signed, signTiny(t, key, artifact.Manifest{}), 0o644); err != nil {
		t.Fatal(err)
	}
	unsigned := filepath.Join(dir, "unsigned.tgz")
	if err := os.WriteFile(unsigned, buildTiny(t, artifact.Manifest{}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		src     string
		keys    []artifact.PublicKey
		message string
	}{
		{"testdata/tiny", nil, ""},
		{signed, nil, ""},
		{signed, keys, ""},
		{unsigned, nil, ""},
		{unsigned, keys, "the bundle is not signed"},
		{"testdata/tiny", keys, "is not a signed bundle archive"},
		{"testdata/missing", keys, "no such file"},
	} {
		bundles, diags := LoadAll(ctx, []string{tt.src}, Options{Keys: tt.keys, CacheDir: t.TempDir()})
		if tt.message == "" {
			if diags.HasErrors() || len(bundles) != 1 || bundles[0].Name != "tiny" {
				t.Errorf("%s: %s", tt.src, errorsOf(diags))
			}
			continue
		}
		if !diags.HasErrors() || len(bundles) != 0 || !strings.Contains(errorsOf(diags), tt.message) {
			t.Errorf("%s with %d keys: %d bundles, %s; want %q", tt.src, len(tt.keys), len(bundles), errorsOf(diags), tt.message)
		}
	}
}

func TestTooNew(t *testing.T) {
	data := buildTiny(t, artifact.Manifest{Name: "tiny", Version: "1.2.0", AssayVersion: "99.0.0"})
	path := filepath.Join(t.TempDir(), "tiny.tar.gz")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(context.Background(), path, Options{AssayVersion: "0.4.0"})
	if !errors.Is(err, artifact.ErrTooNew) || !strings.Contains(err.Error(), "needs assay 99.0.0 or newer") {
		t.Fatalf("err = %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@example.com/b.tar.gz?token=x": "https://***@example.com/b.tar.gz",
		"oci://registry.example.com/p/ssh:1.0":         "oci://registry.example.com/p/ssh:1.0",
		"./dir":                                        "./dir",
		"https://example.com":                          "https://example.com",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
