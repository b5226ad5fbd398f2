package image

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/assay-dev/assay/core/target"
)

// configured is the fixture image with a full runtime configuration,
// secrets in its environment included.
func configured(t *testing.T) v1.Image {
	t.Helper()
	img := imageOf(t, compression.GZip, fixtureLayers()...)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Variant = "arm64", "linux", "v8"
	cf.Created = v1.Time{Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	cf.Config = v1.Config{
		User:         "65534:65534",
		Entrypoint:   []string{"/usr/bin/assay"},
		Cmd:          []string{"serve"},
		WorkingDir:   "/work",
		Env:          []string{"PATH=/usr/bin", "API_TOKEN=s3cr3t-value", "EMPTY=", "NOEQUALS"},
		ExposedPorts: map[string]struct{}{"9817/tcp": {}, "53/udp": {}},
		Labels:       map[string]string{"org.opencontainers.image.source": "https://example.com/assay"},
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestImageConfig reads the runtime configuration from every kind of
// reference, and never keeps an environment value.
func TestImageConfig(t *testing.T) {
	img := configured(t)
	want := target.ImageConfig{
		User:         "65534:65534",
		Entrypoint:   []string{"/usr/bin/assay"},
		Cmd:          []string{"serve"},
		WorkingDir:   "/work",
		EnvNames:     []string{"PATH", "API_TOKEN", "EMPTY", "NOEQUALS"},
		ExposedPorts: []string{"53/udp", "9817/tcp"},
		Labels:       map[string]string{"org.opencontainers.image.source": "https://example.com/assay"},
		Created:      time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		OS:           "linux",
		Architecture: "arm64",
		Variant:      "v8",
	}
	for _, tc := range []struct {
		name string
		ref  func(t *testing.T) string
	}{
		{"docker-save", func(t *testing.T) string { return writeDockerSave(t, img) }},
		{"tarball", func(t *testing.T) string { return writeTarball(t, img) }},
		{"oci layout", func(t *testing.T) string { return "oci:" + writeLayout(t, map[string]v1.Image{"": img}) }},
		{"registry", func(t *testing.T) string {
			ref := startRegistry(t) + "/assay/configured:v1"
			push(t, ref, img)
			return ref
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tgt target.Target = mustOpen(t, tc.ref(t), Options{Insecure: true})
			ti, ok := tgt.(target.Image)
			if !ok {
				t.Fatal("an image target does not implement target.Image")
			}
			got := ti.ImageConfig()
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("ImageConfig (-want +got):\n%s", d)
			}
			if s := strings.Join(got.EnvNames, " "); strings.Contains(s, "s3cr3t") || strings.Contains(s, "=") {
				t.Errorf("an environment value leaked: %q", s)
			}
		})
	}
}

// TestImageConfigHostile refuses a layout whose config blob is not what
// its manifest says: another blob, a larger one, a FIFO.
func TestImageConfigHostile(t *testing.T) {
	img := configured(t)
	cfgName, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		mangle func(t *testing.T, blob string)
		want   string
	}{
		{"digest mismatch", func(t *testing.T, blob string) {
			if err := os.WriteFile(blob, []byte(`{"architecture":"amd64","os":"linux","config":{"User":"root"}}`), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "does not match its digest"},
		{"over the metadata limit", func(t *testing.T, blob string) {
			if err := os.Truncate(blob, maxMetadata+1); err != nil {
				t.Fatal(err)
			}
		}, "allowed for an image's metadata file"},
		{"fifo", func(t *testing.T, blob string) {
			if err := os.Remove(blob); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(blob, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeLayout(t, map[string]v1.Image{"": img})
			tc.mangle(t, filepath.Join(dir, "blobs", cfgName.Algorithm, cfgName.Hex))
			_, err := Open(t.Context(), "oci:"+dir, Options{})
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open = %v, want ErrMalformed saying %q", err, tc.want)
			}
		})
	}
}
