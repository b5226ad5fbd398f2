package imageconfig_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/assay-dev/assay/collectors/imageconfig"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/targets"
)

// recorder keeps what a collector emits.
type recorder struct {
	mu    sync.Mutex
	docs  []document.Document
	skips []string
}

func (r *recorder) Emit(d document.Document) { r.mu.Lock(); r.docs = append(r.docs, d); r.mu.Unlock() }
func (r *recorder) Skip(p string, _ error)   { r.mu.Lock(); r.skips = append(r.skips, p); r.mu.Unlock() }

// fakeImage is a directory target that says it is an image with cfg.
type fakeImage struct {
	target.Target
	cfg target.ImageConfig
}

func (f fakeImage) ImageConfig() target.ImageConfig { return f.cfg }

func TestCollect(t *testing.T) {
	dir, err := targets.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	full := target.ImageConfig{
		User: "nobody", Entrypoint: []string{"/usr/bin/assay"}, Cmd: []string{"--help"}, WorkingDir: "/",
		EnvNames: []string{"PATH", "SSL_CERT_FILE"}, ExposedPorts: []string{"9817/tcp"},
		Labels:  map[string]string{"org.opencontainers.image.version": "v1.2.3"},
		Created: time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600)), OS: "linux", Architecture: "amd64",
	}
	for _, tc := range []struct {
		name    string
		tgt     target.Target
		want    []document.Document
		wantErr error
	}{
		{"image", fakeImage{dir, full}, []document.Document{{
			"kind": "image.config", "collector": "main", "user": "nobody",
			"entrypoint": []string{"/usr/bin/assay"}, "cmd": []string{"--help"}, "working_dir": "/",
			"env_names": []string{"PATH", "SSL_CERT_FILE"}, "exposed_ports": []string{"9817/tcp"},
			"labels":  map[string]any{"org.opencontainers.image.version": "v1.2.3"},
			"created": "2025-01-02T02:04:05Z", "os": "linux", "architecture": "amd64", "variant": "",
		}}, nil},
		// An empty config (FROM scratch, nothing set) gives empty lists,
		// never nulls, and no creation time.
		{"empty config", fakeImage{dir, target.ImageConfig{}}, []document.Document{{
			"kind": "image.config", "collector": "main", "user": "",
			"entrypoint": []string{}, "cmd": []string{}, "working_dir": "",
			"env_names": []string{}, "exposed_ports": []string{}, "labels": map[string]any{},
			"created": "", "os": "", "architecture": "", "variant": "",
		}}, nil},
		{"root filesystem", dir, nil, collector.ErrNotApplicable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec recorder
			err := imageconfig.Collector{}.Collect(t.Context(), collector.Env{Target: tc.tgt, Name: "main"}, &rec)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Collect = %v, want %v", err, tc.wantErr)
			}
			if d := cmp.Diff(tc.want, rec.docs); d != "" {
				t.Errorf("documents (-want +got):\n%s", d)
			}
		})
	}
}

// TestBlockTakesNoAttributes: a mistaken attribute is a diagnostic that
// points at it.
func TestBlockTakesNoAttributes(t *testing.T) {
	for _, tc := range []struct {
		src   string
		diags bool
	}{
		{"", false},
		{"user = \"root\"\n", true},
	} {
		f, diags := hclsyntax.ParseConfig([]byte(tc.src), "bundle.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		_, diags = imageconfig.Type().New(f.Body, nil)
		if diags.HasErrors() != tc.diags {
			t.Errorf("%q: diagnostics %v, want errors: %v", tc.src, diags, tc.diags)
		}
		if tc.diags && diags[0].Subject.Start.Line != 1 {
			t.Errorf("%q: diagnostic at %v, want line 1", tc.src, diags[0].Subject)
		}
	}
}
