package source

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle/artifact"
)

// TestCacheNotPrivate: a cache directory that others can change (here one
// inside a world-writable directory, as /tmp/assay-cache made by another
// user) is not written to: they could plant links in it and later runs
// trust what it holds. The bundle still loads; a warning says why it was
// not cached.
func TestCacheNotPrivate(t *testing.T) {
	tests := []struct {
		name    string
		private bool
		setup   func(t *testing.T, dir string) string
		want    string
	}{
		{
			name:    "private",
			private: true,
			setup:   func(t *testing.T, dir string) string { return filepath.Join(dir, "cache") },
		},
		{
			name: "inside a world-writable directory",
			setup: func(t *testing.T, dir string) string {
				shared := filepath.Join(dir, "shared")
				if err := os.Mkdir(shared, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(shared, 0o777); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(shared, "assay-cache")
			},
			want: "writable by others (mode 0777) and not sticky",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, keys := signer(t)
			_, srv := newBundleServer(t, signTiny(t, key, artifact.Manifest{}))
			cache := tt.setup(t, t.TempDir())
			var log bytes.Buffer
			opts := Options{Keys: keys, CacheDir: cache, HTTPClient: srv.Client(), Logger: slog.New(slog.NewTextHandler(&log, nil))}
			bundles, diags := LoadAll(context.Background(), []string{srv.URL + "/tiny.tar.gz"}, opts)
			if diags.HasErrors() || len(bundles) != 1 {
				t.Fatalf("load: %s", errorsOf(diags))
			}
			cached, _ := filepath.Glob(filepath.Join(cache, "*", "bundle.tar.gz"))
			if tt.private {
				if len(cached) != 1 || log.Len() != 0 {
					t.Errorf("cached %v, log %s", cached, &log)
				}
				return
			}
			if len(cached) != 0 {
				t.Errorf("cached in a directory others can change: %v", cached)
			}
			if !strings.Contains(log.String(), "cannot cache bundle") || !strings.Contains(log.String(), tt.want) {
				t.Errorf("log %q, want a warning with %q", &log, tt.want)
			}
		})
	}
}
