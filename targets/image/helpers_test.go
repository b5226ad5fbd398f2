package image

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/assay-dev/assay/targets/targettest"
)

// ent is one tar entry of a test layer. Type is a tar typeflag; Hdr may
// adjust the header further (hostile cases).
type ent struct {
	Name string
	Type byte
	Data string
	Link string
	Mode int64
	Hdr  func(*tar.Header)
}

func reg(name, data string) ent { return ent{Name: name, Type: tar.TypeReg, Data: data, Mode: 0o644} }
func dir(name string) ent       { return ent{Name: name, Type: tar.TypeDir, Mode: 0o755} }
func symlink(name, link string) ent {
	return ent{Name: name, Type: tar.TypeSymlink, Link: link, Mode: 0o777}
}
func hardlink(name, link string) ent {
	return ent{Name: name, Type: tar.TypeLink, Link: link, Mode: 0o644}
}

// tarBytes writes entries as a tar stream, in order, without any checks:
// hostile names go through as written.
func tarBytes(t testing.TB, ents []ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Link, Mode: e.Mode, Size: int64(len(e.Data)),
			ModTime: time.Unix(1700000000, 0), Uid: 0, Gid: 0, Format: tar.FormatPAX}
		if e.Type != tar.TypeReg {
			h.Size = 0
		}
		if e.Hdr != nil {
			e.Hdr(h)
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("write header %s: %v", e.Name, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, e.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// layerOf makes a go-containerregistry layer from raw tar bytes, compressed
// with comp (gzip or zstd) as a registry would store it.
func layerOf(t testing.TB, raw []byte, comp compression.Compression) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(raw)), nil
	}, tarball.WithCompression(comp))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// imageOf stacks layers, bottom first.
func imageOf(t testing.TB, comp compression.Compression, layers ...[]ent) v1.Image {
	t.Helper()
	img := empty.Image
	for _, ents := range layers {
		var err error
		img, err = mutate.AppendLayers(img, layerOf(t, tarBytes(t, ents), comp))
		if err != nil {
			t.Fatal(err)
		}
	}
	img, err := mutate.Config(img, v1.Config{Cmd: []string{"/bin/sh"}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// writeTarball saves img as go-containerregistry's tarball package does
// (compressed layers, manifest.json).
func writeTarball(t testing.TB, img v1.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	tag, _ := name.NewTag("assay.test/fixture:latest")
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeDockerSave saves img the way `docker save` does: manifest.json, the
// config, and each layer as an uncompressed tar.
func writeDockerSave(t testing.TB, img v1.Image) string {
	t.Helper()
	return writeDockerSaveIndex(t, img, false)
}

// writeDockerSaveIndex also writes the OCI index.json docker 25+ adds.
func writeDockerSaveIndex(t testing.TB, img v1.Image, withIndex bool) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	add := func(name string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	add("config.json", cfg)
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		p := fmt.Sprintf("%d/layer.tar", i)
		add(p, data)
		paths = append(paths, p)
	}
	m, _ := json.Marshal(tarball.Manifest{{Config: "config.json", RepoTags: []string{"assay.test/fixture:latest"}, Layers: paths}})
	add("manifest.json", m)
	if withIndex {
		dg, _ := img.Digest()
		idx, _ := json.Marshal(v1.IndexManifest{SchemaVersion: 2, Manifests: []v1.Descriptor{{MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: dg, Size: 1}}})
		add("index.json", idx)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeLayout saves images in an OCI layout, each tagged by its ref name.
func writeLayout(t testing.TB, imgs map[string]v1.Image) string {
	t.Helper()
	d := t.TempDir()
	p, err := layout.Write(d, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for tag, img := range imgs {
		var opts []layout.Option
		if tag != "" {
			opts = append(opts, layout.WithAnnotations(map[string]string{refNameAnnotation: tag}))
		}
		if err := p.AppendImage(img, opts...); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// fixtureLayers spreads targettest.Fixture (plus a FIFO) over two layers,
// with a file the upper layer whites out and one it replaces.
func fixtureLayers() [][]ent {
	lower := []ent{dir("etc"), reg("etc/passwd", "old passwd\n"), reg("etc/gone", "deleted by the upper layer\n")}
	upper := []ent{{Name: "etc/.wh.gone", Type: tar.TypeReg}}
	for _, e := range targettest.Fixture {
		var x ent
		switch e.Type {
		case "dir":
			x = dir(e.Name)
		case "file":
			x = reg(e.Name, e.Data)
		case "symlink":
			x = symlink(e.Name, e.Data)
		}
		if e.Mode != 0 {
			x.Mode = int64(e.Mode)
		}
		upper = append(upper, x)
	}
	upper = append(upper, ent{Name: "home/alice/fifo", Type: tar.TypeFifo, Mode: 0o600})
	return [][]ent{lower, upper}
}

func mustOpen(t testing.TB, ref string, opts Options) *Image {
	t.Helper()
	img, err := Open(t.Context(), ref, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	return img
}
