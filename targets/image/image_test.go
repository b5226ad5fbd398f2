package image

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/targets/targettest"
)

// TestConformance runs the target conformance suite over the fixture built
// as an image, in every format and read path: uncompressed layers read in
// place, gzip and zstd layers served from the spill file or by decompressing
// again.
func TestConformance(t *testing.T) {
	gz := imageOf(t, compression.GZip, fixtureLayers()...)
	zs := imageOf(t, compression.ZStd, fixtureLayers()...)
	for _, tc := range []struct {
		name string
		ref  func(t *testing.T) string
		opts Options
	}{
		{"docker-save uncompressed", func(t *testing.T) string { return writeDockerSave(t, gz) }, Options{}},
		{"tarball gzip", func(t *testing.T) string { return writeTarball(t, gz) }, Options{}},
		{"tarball gzip without spill", func(t *testing.T) string { return writeTarball(t, gz) }, Options{SpillLimit: -1}},
		{"oci gzip", func(t *testing.T) string { return "oci:" + writeLayout(t, map[string]v1.Image{"": gz}) }, Options{}},
		{"oci zstd", func(t *testing.T) string { return "oci:" + writeLayout(t, map[string]v1.Image{"": zs}) }, Options{}},
		{"oci zstd without spill", func(t *testing.T) string { return "oci:" + writeLayout(t, map[string]v1.Image{"": zs}) }, Options{SpillLimit: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			tc.opts.TempDir = tmp
			ref := tc.ref(t)
			img := mustOpen(t, ref, tc.opts)
			targettest.Validate(t, img, true)
			if info := img.Info(); info.Kind != target.KindImage || info.Name != ref || !strings.HasPrefix(info.Digest, "sha256:") {
				t.Errorf("info = %+v", info)
			}
			if _, err := fs.Stat(img, "etc/gone"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("whited-out etc/gone: %v, want not exist", err)
			}
			// The spill file is unlinked at once: nothing is left on disk.
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("temp dir holds %d files after Open", len(left))
			}
			if len(img.Skips()) != 0 {
				t.Errorf("skips: %v", img.Skips())
			}
		})
	}
}

// TestDigest checks Info.Digest against go-containerregistry's own digest of
// the image (OCI layout) and the config digest (docker-save, which has no
// manifest).
func TestDigest(t *testing.T) {
	img := imageOf(t, compression.GZip, fixtureLayers()...)
	want, _ := img.Digest()
	got := mustOpen(t, "oci:"+writeLayout(t, map[string]v1.Image{"": img}), Options{}).Info().Digest
	if got != want.String() {
		t.Errorf("oci digest = %s, want %s", got, want)
	}
	cfg, _ := img.ConfigName()
	got = mustOpen(t, writeDockerSave(t, img), Options{}).Info().Digest
	if got != cfg.String() {
		t.Errorf("docker-save digest = %s, want the config digest %s", got, cfg)
	}
	got = mustOpen(t, writeDockerSaveIndex(t, img, true), Options{}).Info().Digest
	if got != want.String() {
		t.Errorf("docker-save with index.json: digest = %s, want the manifest digest %s", got, want)
	}
}

// TestLayoutSelection picks images of a layout by tag and digest.
func TestLayoutSelection(t *testing.T) {
	one := imageOf(t, compression.GZip, []ent{reg("which", "one")})
	two := imageOf(t, compression.GZip, []ent{reg("which", "two")})
	dir := writeLayout(t, map[string]v1.Image{"one": one, "two": two})
	d2, _ := two.Digest()
	for _, tc := range []struct{ ref, want, err string }{
		{"oci:" + dir + ":one", "one", ""},
		{"oci:" + dir + ":two", "two", ""},
		{"oci:" + dir + "@" + d2.String(), "two", ""},
		{"oci:" + dir + ":three", "", `no manifest tagged "three"`},
		{"oci:" + dir + "@sha256:" + strings.Repeat("0", 64), "", "no manifest with digest"},
		{"oci:" + dir, "", "select one with"},
	} {
		t.Run(strings.TrimPrefix(tc.ref, "oci:"+dir), func(t *testing.T) {
			img, err := Open(t.Context(), tc.ref, Options{})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			data, err := fs.ReadFile(img, "which")
			if err != nil || string(data) != tc.want {
				t.Errorf("which = %q, %v; want %q", data, err, tc.want)
			}
		})
	}
}

// TestNoTempDir opens a gzip image when the spill file cannot be created:
// reads fall back to decompressing the layers.
func TestNoTempDir(t *testing.T) {
	img := mustOpen(t, writeTarball(t, imageOf(t, compression.GZip, fixtureLayers()...)), Options{TempDir: "/nonexistent/dir"})
	if b, err := fs.ReadFile(img, "etc/passwd"); err != nil || !strings.HasPrefix(string(b), "root:") {
		t.Errorf("etc/passwd = %q, %v", b, err)
	}
}
