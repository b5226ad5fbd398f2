package image

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// openOrHang opens ref and fails the test if Open does not return before a
// generous deadline: a hang (a FIFO opened for reading, /dev/zero read to
// its end) shows as a failure, not as a test binary killed after minutes.
// unblock, when given, releases whatever Open is stuck on after the deadline.
func openOrHang(t *testing.T, ref string, unblock func()) (*Image, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	type result struct {
		img *Image
		err error
	}
	done := make(chan result, 1)
	go func() {
		img, err := Open(ctx, ref, Options{TempDir: t.TempDir()})
		done <- result{img, err}
	}()
	select {
	case r := <-done:
		return r.img, r.err
	case <-ctx.Done():
		if unblock != nil {
			unblock()
		}
		t.Fatalf("Open(%s) did not return within a minute: it hangs", ref)
		return nil, nil
	}
}

// manifestBlob is the path of the image manifest a one-image layout's
// index.json names.
func manifestBlob(t *testing.T, dir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(raw, &idx); err != nil || len(idx.Manifests) != 1 {
		t.Fatalf("index.json: %v, %d manifests", err, len(idx.Manifests))
	}
	return filepath.Join(dir, "blobs", idx.Manifests[0].Digest.Algorithm, idx.Manifests[0].Digest.Hex)
}

// layerBlob is the path of the first layer blob of a one-image layout.
func layerBlob(t *testing.T, dir string) string {
	t.Helper()
	raw, err := os.ReadFile(manifestBlob(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil || len(m.Layers) == 0 {
		t.Fatalf("manifest: %v", err)
	}
	return filepath.Join(dir, "blobs", m.Layers[0].Digest.Algorithm, m.Layers[0].Digest.Hex)
}

func mustDo(t *testing.T, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// fifoUnblocker opens a FIFO for writing and closes it, which releases a
// reader blocked in open(2) on it.
func fifoUnblocker(p string) func() {
	return func() {
		if f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	}
}

// TestHostileMetadata replaces the metadata files of an image with what a
// hostile layout or tarball can hold instead. Each must fail to open with
// an error naming the file, quickly, without reading outside the layout or
// more than the 16 MiB metadata limit, and without blocking.
func TestHostileMetadata(t *testing.T) {
	good := func(t *testing.T) string {
		return writeLayout(t, map[string]v1.Image{"": imageOf(t, compression.GZip, []ent{reg("etc/passwd", "root:x:0:0::/root:/bin/sh\n")})})
	}
	big := func(p string) error { // a sparse regular file just over the limit
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Truncate(maxMetadata + 1<<20)
	}
	replace := func(p string, make func(string) error) error {
		if err := os.Remove(p); err != nil {
			return err
		}
		return make(p)
	}
	fifo := func(p string) error { return syscall.Mkfifo(p, 0o644) }
	linkTo := func(to string) func(string) error { return func(p string) error { return os.Symlink(to, p) } }
	for _, tc := range []struct {
		name  string
		ref   func(t *testing.T) (ref string, unblock func())
		want  error
		msg   []string
		opens bool
	}{
		{name: "index.json links to the zero device", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			mustDo(t, replace(filepath.Join(d, "index.json"), linkTo("/dev/zero")))
			return "oci:" + d, nil
		}, want: ErrMalformed, msg: []string{"index.json", "not a link out of it"}},
		{name: "index.json is a FIFO", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			p := filepath.Join(d, "index.json")
			mustDo(t, replace(p, fifo))
			return "oci:" + d, fifoUnblocker(p)
		}, want: ErrMalformed, msg: []string{"index.json: a fifo, not a regular file"}},
		{name: "index.json is 17 MiB", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			mustDo(t, replace(filepath.Join(d, "index.json"), big))
			return "oci:" + d, nil
		}, want: ErrMalformed, msg: []string{"index.json: 17825792 bytes, more than the 16777216 (16 MiB) allowed"}},
		{name: "index.json links out of the layout", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			p := filepath.Join(d, "index.json")
			outside := filepath.Join(t.TempDir(), "index.json")
			raw, err := os.ReadFile(p)
			mustDo(t, err, os.WriteFile(outside, raw, 0o644), replace(p, linkTo(outside)))
			return "oci:" + d, nil
		}, want: ErrMalformed, msg: []string{"index.json", "not a link out of it"}},
		{name: "index.json links inside the layout", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			p := filepath.Join(d, "index.json")
			raw, err := os.ReadFile(p)
			mustDo(t, err, os.WriteFile(filepath.Join(d, "index-copy.json"), raw, 0o644), replace(p, linkTo("index-copy.json")))
			return "oci:" + d, nil
		}, opens: true},
		{name: "index.json is a directory", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			mustDo(t, replace(filepath.Join(d, "index.json"), func(p string) error { return os.Mkdir(p, 0o755) }))
			return "oci:" + d, nil
		}, want: ErrMalformed, msg: []string{"index.json: a dir, not a regular file"}},
		{name: "no index.json", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			mustDo(t, os.Remove(filepath.Join(d, "index.json")))
			return "oci:" + d, nil
		}, want: os.ErrNotExist, msg: []string{"has no index.json: give an OCI image layout"}},
		{name: "oci-layout is a FIFO", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			p := filepath.Join(d, "oci-layout")
			mustDo(t, replace(p, fifo))
			return "oci:" + d, fifoUnblocker(p)
		}, want: ErrMalformed, msg: []string{"oci-layout: a fifo, not a regular file"}},
		{name: "oci-layout of an unknown version", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			mustDo(t, os.WriteFile(filepath.Join(d, "oci-layout"), []byte(`{"imageLayoutVersion":"2.0.0"}`), 0o644))
			return "oci:" + d, nil
		}, want: ErrMalformed, msg: []string{`image layout version "2.0.0"`}},
		{name: "manifest blob is a FIFO", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			p := manifestBlob(t, d)
			mustDo(t, replace(p, fifo))
			return "oci:" + d, fifoUnblocker(p)
		}, want: ErrMalformed, msg: []string{"manifest sha256:", "a fifo, not a regular file"}},
		{name: "manifest blob links to the zero device", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			mustDo(t, replace(manifestBlob(t, d), linkTo("/dev/zero")))
			return "oci:" + d, nil
		}, want: ErrMalformed, msg: []string{"manifest sha256:", "not a link out of it"}},
		{name: "manifest blob is 17 MiB", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			mustDo(t, replace(manifestBlob(t, d), big))
			return "oci:" + d, nil
		}, want: ErrMalformed, msg: []string{"more than the 16777216 (16 MiB) allowed"}},
		{name: "manifest blob does not match its digest", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			p := manifestBlob(t, d)
			raw, err := os.ReadFile(p)
			mustDo(t, err, os.WriteFile(p, append(raw, ' '), 0o644))
			return "oci:" + d, nil
		}, want: ErrMalformed, msg: []string{"does not match its digest"}},
		{name: "layer blob links out of the layout", ref: func(t *testing.T) (string, func()) {
			d := good(t)
			p := layerBlob(t, d)
			outside := filepath.Join(t.TempDir(), "layer")
			raw, err := os.ReadFile(p)
			mustDo(t, err, os.WriteFile(outside, raw, 0o644), replace(p, linkTo(outside)))
			return "oci:" + d, nil
		}, want: ErrMalformed, msg: []string{"layer sha256:", "not a link out of it"}},
		{name: "docker-save manifest.json is 17 MiB", ref: func(t *testing.T) (string, func()) {
			p := filepath.Join(t.TempDir(), "image.tar")
			huge := strings.Repeat(" ", maxMetadata+1<<20)
			mustDo(t, os.WriteFile(p, tarBytes(t, []ent{reg("manifest.json", huge)}), 0o644))
			return p, nil
		}, want: ErrMalformed, msg: []string{"manifest.json: 17825792 bytes, more than the 16777216 (16 MiB) allowed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref, unblock := tc.ref(t)
			img, err := openOrHang(t, ref, unblock)
			if tc.opens {
				if err != nil {
					t.Fatal(err)
				}
				img.Close()
				return
			}
			if err == nil {
				img.Close()
				t.Fatal("opened; want an error")
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v; want %v", err, tc.want)
			}
			for _, m := range tc.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("err = %v; want it to say %q", err, m)
				}
			}
		})
	}
}
