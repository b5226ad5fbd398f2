package source

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/assay-dev/assay/bundle/artifact"
)

// tamperer sits in front of an in-process registry and, when armed,
// answers a manifest or blob request with other bytes.
type tamperer struct {
	next     http.Handler
	manifest atomic.Pointer[[]byte] // served for any manifest GET
	blob     atomic.Bool            // flip a byte of every blob
}

func (tp *tamperer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m := tp.manifest.Load(); m != nil && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") {
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		w.Write(*m)
		return
	}
	if tp.blob.Load() && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
		rec := httptest.NewRecorder()
		tp.next.ServeHTTP(rec, r)
		body, _ := io.ReadAll(rec.Body)
		if len(body) > 100 {
			body[100] ^= 0xff
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
		return
	}
	tp.next.ServeHTTP(w, r)
}

func newRegistry(t *testing.T) (*tamperer, string) {
	tp := &tamperer{next: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(tp)
	t.Cleanup(srv.Close)
	return tp, strings.TrimPrefix(srv.URL, "http://")
}

// TestOCIPushPull pushes a signed bundle to an in-process registry on
// loopback and loads it by tag and by digest, with the cache reused when
// the digest has not changed.
func TestOCIPushPull(t *testing.T) {
	ctx := context.Background()
	key, keys := signer(t)
	_, host := newRegistry(t)
	data := signTiny(t, key, artifact.Manifest{})
	ref, err := Push(ctx, data, "oci://"+host+"/policies/tiny:1.2.0", PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref, host+"/policies/tiny@sha256:") {
		t.Fatalf("pushed %s", ref)
	}
	opts := Options{Keys: keys, CacheDir: t.TempDir()}
	for _, src := range []string{"oci://" + host + "/policies/tiny:1.2.0", "oci://" + ref} {
		bundles, diags := LoadAll(ctx, []string{src}, opts)
		if diags.HasErrors() || len(bundles) != 1 {
			t.Fatalf("%s: %s", src, errorsOf(diags))
		}
		b := bundles[0]
		want, _ := artifact.Open(ctx, data, "x", artifact.Options{})
		if b.Name != "tiny" || b.Digest != want.Digest || b.Revision != "r1" {
			t.Errorf("%s: bundle %+v", src, b)
		}
	}
	// pulling by tag again with the cache: the same bytes
	f, err := Resolve(ctx, "oci://"+host+"/policies/tiny:1.2.0", opts)
	if err != nil || f.commit != nil {
		t.Fatalf("cached pull: %v, commit %v", err, f.commit != nil)
	}
}

// TestOCIRefuses: a registry answering with another manifest than the
// digest asked for, or with a changed layer, and references to things
// that are not bundles.
func TestOCIRefuses(t *testing.T) {
	ctx := context.Background()
	key, keys := signer(t)
	tp, host := newRegistry(t)
	ref, err := Push(ctx, signTiny(t, key, artifact.Manifest{}), "oci://"+host+"/policies/tiny:1.2.0", PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other := signTiny(t, key, artifact.Manifest{Name: "tiny", Version: "1.3.0", Revision: "r9"})
	otherRef, err := Push(ctx, other, "oci://"+host+"/policies/tiny:1.3.0", PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// the other manifest's bytes, to serve in place of the asked one
	f, err := Resolve(ctx, "oci://"+otherRef, Options{Keys: keys, CacheDir: t.TempDir()})
	if err != nil || f.Artifact.Manifest.Revision != "r9" {
		t.Fatalf("other: %v", err)
	}
	otherManifest := fetchManifest(t, host, otherRef)

	t.Run("different manifest digest", func(t *testing.T) {
		tp.manifest.Store(&otherManifest)
		defer tp.manifest.Store(nil)
		_, err := Resolve(ctx, "oci://"+ref, Options{Keys: keys, CacheDir: t.TempDir()})
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), "does not match requested digest") && !strings.Contains(err.Error(), "returned manifest") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("changed layer", func(t *testing.T) {
		tp.blob.Store(true)
		defer tp.blob.Store(false)
		_, err := Resolve(ctx, "oci://"+ref, Options{Keys: keys, CacheDir: t.TempDir()})
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), "sha256") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing tag", func(t *testing.T) {
		_, err := Resolve(ctx, "oci://"+host+"/policies/tiny:9.9.9", Options{CacheDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "cannot fetch it") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad reference", func(t *testing.T) {
		_, err := Resolve(ctx, "oci://"+host+"/UPPER:x", Options{CacheDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "bad registry reference") {
			t.Fatalf("err = %v", err)
		}
	})
}

// fetchManifest reads a manifest straight from the registry.
func fetchManifest(t *testing.T, host, ref string) []byte {
	t.Helper()
	repo, digest, _ := strings.Cut(strings.TrimPrefix(ref, host+"/"), "@")
	req, _ := http.NewRequest(http.MethodGet, "http://"+host+"/v2/"+repo+"/manifests/"+digest, nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("manifest: %v %d", err, resp.StatusCode)
	}
	return b
}
