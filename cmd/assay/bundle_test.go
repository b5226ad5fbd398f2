package main

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/assay-dev/assay/cmd/assay/internal/version"
)

// bundleFixture builds and signs a one-policy bundle; it returns the
// archive, the public key and a document the policy flags.
func bundleFixture(t *testing.T, buildArgs ...string) (archive, pub, doc string) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	src := filepath.Join("..", "..", "bundle", "source", "testdata", "tiny")
	archive = filepath.Join(dir, "tiny.tar.gz")
	key := filepath.Join(dir, "k")
	doc = filepath.Join(dir, "doc.json")
	if err := os.WriteFile(doc, []byte(`{"bad": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, 0, "bundle", "keygen", "-o", key)
	mustRun(t, 0, append([]string{"bundle", "build", src, "-o", archive, "--revision", "r1"}, buildArgs...)...)
	mustRun(t, 0, "bundle", "sign", archive, "--key", key+".key")
	return archive, key + ".pub", doc
}

func mustRun(t *testing.T, want int, args ...string) {
	t.Helper()
	if got := run(args); got != want {
		t.Fatalf("assay %s: exit %d, want %d", strings.Join(args, " "), got, want)
	}
}

// TestBundleTooNew: a bundle that needs a newer assay exits 2.
func TestBundleTooNew(t *testing.T) {
	old := version.Version
	version.Version = "0.4.0"
	defer func() { version.Version = old }()
	archive, pub, doc := bundleFixture(t, "--assay-version", "0.5.0")
	mustRun(t, 2, "eval", "-b", archive, "--verify-key", pub, "--documents", doc)
	mustRun(t, 2, "bundle", "verify", archive, "--verify-key", pub)
	version.Version = "0.5.0"
	mustRun(t, 1, "eval", "-b", archive, "--verify-key", pub, "--documents", doc)
}

// TestBundleOCI pushes to an in-process registry on loopback, scans from
// it with verification, and pulls the same bytes back.
func TestBundleOCI(t *testing.T) {
	archive, pub, doc := bundleFixture(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := "oci://" + strings.TrimPrefix(srv.URL, "http://") + "/policies/tiny:1.2.0"
	mustRun(t, 0, "bundle", "push", archive, ref)
	out := filepath.Join(t.TempDir(), "r.json")
	mustRun(t, 1, "eval", "-b", ref, "--verify-key", pub, "--documents", doc, "-f", "json="+out)
	report, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(report, []byte(`"source": "`+ref+`"`)) || !bytes.Contains(report, []byte(`"revision": "r1"`)) {
		t.Errorf("report does not name the bundle:\n%s", report)
	}
	pulled := filepath.Join(t.TempDir(), "pulled.tar.gz")
	mustRun(t, 0, "bundle", "pull", ref, "-o", pulled, "--verify-key", pub)
	a, _ := os.ReadFile(archive)
	b, _ := os.ReadFile(pulled)
	if !bytes.Equal(a, b) {
		t.Error("the pulled archive differs from the pushed one")
	}
	mustRun(t, 2, "bundle", "push", archive, "registry.example.com/x")
}

// TestBundleCacheOffline: with --bundle-cache, a source that went away
// serves the last copy that loaded; without it, the scan exits 2.
func TestBundleCacheOffline(t *testing.T) {
	archive, pub, doc := bundleFixture(t)
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(data) }))
	url := srv.URL + "/tiny.tar.gz"
	cache := t.TempDir()
	mustRun(t, 1, "eval", "-b", url, "--verify-key", pub, "--bundle-cache", cache, "--documents", doc)
	srv.Close()
	mustRun(t, 1, "eval", "-b", url, "--verify-key", pub, "--bundle-cache", cache, "--documents", doc)
	mustRun(t, 2, "eval", "-b", url, "--verify-key", pub, "--documents", doc)
}

// TestBundleArchiveFIFO: a FIFO given where an archive is expected is refused
// with exit 2 at once, as --bundle refuses it, instead of blocking the open.
func TestBundleArchiveFIFO(t *testing.T) {
	_, pub, _ := bundleFixture(t)
	fifo := filepath.Join(t.TempDir(), "b.tar.gz")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, args := range [][]string{
		{"bundle", "verify", fifo, "--verify-key", pub},
		{"bundle", "push", fifo, "oci://127.0.0.1:1/x:1"},
		{"bundle", "sign", fifo, "--key", strings.TrimSuffix(pub, ".pub") + ".key"},
	} {
		done := make(chan int, 1)
		go func() { done <- run(args) }()
		select {
		case got := <-done:
			if got != 2 {
				t.Errorf("assay %s: exit %d, want 2", strings.Join(args, " "), got)
			}
		case <-time.After(10 * time.Second):
			// Unblock the open so the test ends, then fail.
			if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				w.Close()
			}
			<-done
			t.Errorf("assay %s: blocked on a FIFO", strings.Join(args, " "))
		}
	}
}
