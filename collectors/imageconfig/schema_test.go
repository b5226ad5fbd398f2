package imageconfig_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/assay-dev/assay/collectors"
	"github.com/assay-dev/assay/collectors/imageconfig"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/schema/schematest"
	"github.com/assay-dev/assay/targets/image"
)

// TestDocumentsMatchSchema builds real images (one whose config sets every
// field, one FROM scratch that sets none), saves them as a docker-save
// tarball and an OCI layout, opens them as a scan does and validates what
// the collector emits, through the runner, against the image.config
// schema.
func TestDocumentsMatchSchema(t *testing.T) {
	full, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Created: v1.Time{Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}, OS: "linux", Architecture: "arm64", Variant: "v8",
		RootFS: v1.RootFS{Type: "layers"},
		Config: v1.Config{
			User: "65534:65534", Entrypoint: []string{"/usr/bin/assay"}, Cmd: []string{"--help"}, WorkingDir: "/work",
			Env:          []string{"PATH=/usr/bin", "DEPLOY_TOKEN=hunter2"},
			ExposedPorts: map[string]struct{}{"9817/tcp": {}, "53/udp": {}},
			Labels:       map[string]string{"org.opencontainers.image.source": "https://example.invalid/assay"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, img := range []v1.Image{full, empty.Image} {
		refs = append(refs, saveTarball(t, img), saveLayout(t, img))
	}
	var docs []document.Document
	for _, ref := range refs {
		img, err := image.Open(context.Background(), ref, image.Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatalf("open %s: %v", ref, err)
		}
		defer img.Close()
		out := (&collectors.Runner{Target: img}).Run(context.Background(), []collectors.Job{{Type: imageconfig.Type(), Name: "main", Collector: imageconfig.Collector{}}})
		if r := out[0].Result; r.Status != report.CollectorOK {
			t.Fatalf("%s: %s: %s", ref, r.Status, r.Error)
		}
		docs = append(docs, out[0].Documents...)
	}
	if len(docs) != len(refs) {
		t.Fatalf("%d documents from %d images", len(docs), len(refs))
	}
	schematest.Check(t, docs)
	// Every optional part is filled in the full image's documents: a test
	// that only saw empty lists and strings would not check their types.
	for _, d := range docs[:2] {
		for _, k := range []string{"user", "working_dir", "created", "os", "architecture", "variant"} {
			if d[k] == "" {
				t.Errorf("%s: %s is empty in the full image's document", d.Collector(), k)
			}
		}
		for _, k := range []string{"entrypoint", "cmd", "env_names", "exposed_ports"} {
			if l, _ := d[k].([]string); len(l) == 0 {
				t.Errorf("%s is empty in the full image's document", k)
			}
		}
		if l, _ := d["labels"].(map[string]any); len(l) == 0 {
			t.Error("labels is empty in the full image's document")
		}
	}
}

// saveTarball saves img as a docker-save style tarball, its reference.
func saveTarball(t *testing.T, img v1.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	tag, err := name.NewTag("assay.test/imageconfig:latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// saveLayout saves img in an OCI layout, its reference ("oci:DIR").
func saveLayout(t *testing.T, img v1.Image) string {
	t.Helper()
	d := t.TempDir()
	p, err := layout.Write(d, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return "oci:" + d
}
