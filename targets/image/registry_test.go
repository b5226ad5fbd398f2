package image

import (
	"errors"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/assay-dev/assay/targets/targettest"
)

// startRegistry runs go-containerregistry's in-process registry on loopback
// (plain HTTP) and returns its host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func push(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
}

// TestRegistry scans images pushed to a loopback registry by reference.
func TestRegistry(t *testing.T) {
	host := startRegistry(t)
	img := imageOf(t, compression.GZip, fixtureLayers()...)
	push(t, host+"/assay/fixture:v1", img)
	want, _ := img.Digest()

	t.Run("conformance", func(t *testing.T) {
		got := mustOpen(t, host+"/assay/fixture:v1", Options{Insecure: true, TempDir: t.TempDir()})
		targettest.Validate(t, got, true)
		if got.Info().Digest != want.String() {
			t.Errorf("digest = %s, want %s", got.Info().Digest, want)
		}
	})
	t.Run("by digest", func(t *testing.T) {
		got := mustOpen(t, host+"/assay/fixture@"+want.String(), Options{Insecure: true})
		if b, err := fs.ReadFile(got, "etc/passwd"); err != nil || !strings.HasPrefix(string(b), "root:") {
			t.Errorf("etc/passwd = %q, %v", b, err)
		}
	})
	t.Run("plain HTTP only when asked", func(t *testing.T) {
		_, err := Open(t.Context(), host+"/assay/fixture:v1", Options{})
		if err == nil || !strings.Contains(err.Error(), "refusing plain HTTP") || !errors.Is(err, ErrFetch) {
			t.Errorf("err = %v, want a refusal of plain HTTP", err)
		}
	})
	t.Run("unknown tag", func(t *testing.T) {
		_, err := Open(t.Context(), host+"/assay/fixture:nope", Options{Insecure: true})
		if !errors.Is(err, ErrFetch) {
			t.Errorf("err = %v, want ErrFetch", err)
		}
	})
	t.Run("not a reference", func(t *testing.T) {
		_, err := Open(t.Context(), "no such image", Options{})
		if err == nil || !strings.Contains(err.Error(), "not a file, oci:DIR or registry reference") {
			t.Errorf("err = %v", err)
		}
	})
	// A repository named like a file is pulled when a prefix forces it.
	push(t, host+"/assay/app.tar:v1", img)
	for _, prefix := range registryPrefixes {
		t.Run(prefix, func(t *testing.T) {
			got := mustOpen(t, prefix+host+"/assay/app.tar:v1", Options{Insecure: true})
			if got.Info().Digest != want.String() {
				t.Errorf("digest = %s, want %s", got.Info().Digest, want)
			}
		})
	}
}

// TestPathLikeReference: a reference that looks like a file and does not
// exist is "no such file" (fs.ErrNotExist), never a pull from Docker Hub.
func TestPathLikeReference(t *testing.T) {
	for _, tc := range []struct {
		ref  string
		path bool
	}{
		{"img/nope.tar", true},
		{"nope.tar", true},
		{"build/app.tar.gz", true},
		{"app.tgz", true},
		{"./app", true},
		{"../images/app", true},
		{"/srv/images/app", true},
		{"~/app", true},
		{"alpine", false},
		{"alpine:3.20", false},
		{"ghcr.io/org/app:1.2", false},
		{"registry.local:5000/app@sha256:0123", false},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			if got := LooksLikePath(tc.ref); got != tc.path {
				t.Fatalf("LooksLikePath(%q) = %v, want %v", tc.ref, got, tc.path)
			}
			if !tc.path {
				return
			}
			_, err := Open(t.Context(), tc.ref, Options{})
			if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "no such file or directory") || !strings.Contains(err.Error(), "docker://"+tc.ref) {
				t.Errorf("Open(%q) = %v, want no such file, with the docker:// hint", tc.ref, err)
			}
		})
	}
}

// TestRegistryPlatform selects one image of a multi-platform index.
func TestRegistryPlatform(t *testing.T) {
	host := startRegistry(t)
	var adds []mutate.IndexAddendum
	for _, arch := range []string{"amd64", "arm64"} {
		img := imageOf(t, compression.GZip, []ent{reg("arch", arch)})
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	idx := mutate.AppendManifests(empty.Index, adds...)
	r, _ := name.ParseReference(host+"/assay/multi:latest", name.Insecure)
	if err := remote.WriteIndex(r, idx, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ platform, want string }{{"", "amd64"}, {"linux/arm64", "arm64"}} {
		got := mustOpen(t, host+"/assay/multi:latest", Options{Insecure: true, Platform: tc.platform})
		if b, err := fs.ReadFile(got, "arch"); err != nil || string(b) != tc.want {
			t.Errorf("platform %q: arch = %q, %v; want %q", tc.platform, b, err, tc.want)
		}
	}
	if _, err := Open(t.Context(), host+"/assay/multi:latest", Options{Insecure: true, Platform: "not/a/valid/platform/x"}); err == nil {
		t.Error("bad platform accepted")
	}
}
