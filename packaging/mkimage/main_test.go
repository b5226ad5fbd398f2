package main

import (
	"archive/tar"
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// fixture writes a fake binary and CA file and returns the mkimage flags
// naming them.
func fixture(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	bin, ca := filepath.Join(dir, "assay"), filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(bin, []byte("\x7fELF assay"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"-binary", bin, "-ca", ca, "-version", "v1.2.3", "-revision", "0123abcd", "-created", "1700000000"}
}

// TestImage checks the image mkimage writes, in both forms: its
// configuration, annotations and files, and that two runs give the same
// bytes.
func TestImage(t *testing.T) {
	args := fixture(t)
	var digests [2]string
	var tars [2][]byte
	var dirs [2]string
	for i := range digests {
		dirs[i] = filepath.Join(t.TempDir(), "oci")
		tarPath := filepath.Join(t.TempDir(), "image.tar")
		var out strings.Builder
		if err := run(append(args, "-oci", dirs[i], "-tar", tarPath), &out); err != nil {
			t.Fatal(err)
		}
		digests[i] = strings.TrimSpace(out.String())
		b, err := os.ReadFile(tarPath)
		if err != nil {
			t.Fatal(err)
		}
		tars[i] = b
	}
	if digests[0] != digests[1] || string(tars[0]) != string(tars[1]) {
		t.Fatalf("two runs differ: digests %s and %s", digests[0], digests[1])
	}

	p, err := layout.FromPath(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest.String() != digests[0] || im.Manifests[0].Annotations[refName] != "v1.2.3" {
		t.Fatalf("index.json = %+v, want one manifest %s tagged v1.2.3", im.Manifests, digests[0])
	}
	img, err := p.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.source":   "https://github.com/assay-dev/assay",
		"org.opencontainers.image.revision": "0123abcd",
		"org.opencontainers.image.version":  "v1.2.3",
		"org.opencontainers.image.created":  "2023-11-14T22:13:20Z",
	} {
		if m.Annotations[k] != want {
			t.Errorf("manifest annotation %s = %q, want %q", k, m.Annotations[k], want)
		}
	}
	if m.MediaType != "application/vnd.oci.image.manifest.v1+json" || len(m.Layers) != 1 {
		t.Errorf("manifest: media type %s, %d layers; want an OCI manifest of one layer", m.MediaType, len(m.Layers))
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65534:65534" || !slices.Equal(cf.Config.Entrypoint, []string{"/usr/bin/assay"}) || cf.Created.Unix() != 1700000000 || cf.Architecture != "amd64" || cf.OS != "linux" {
		t.Errorf("config = %+v", cf)
	}

	// The layer: sorted, owned by root, dated -created, no shell.
	type file struct {
		Name string
		Mode int64
		Uid  int
	}
	var got []file
	layers, _ := img.Layers()
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.ModTime.Unix() != 1700000000 {
			t.Errorf("%s dated %v", h.Name, h.ModTime)
		}
		got = append(got, file{h.Name, h.Mode, h.Uid})
	}
	want := []file{
		{"etc/", 0o755, 0}, {"etc/group", 0o644, 0}, {"etc/passwd", 0o644, 0},
		{"etc/ssl/", 0o755, 0}, {"etc/ssl/certs/", 0o755, 0}, {"etc/ssl/certs/ca-certificates.crt", 0o644, 0},
		{"tmp/", 0o1777, 0}, {"usr/", 0o755, 0}, {"usr/bin/", 0o755, 0}, {"usr/bin/assay", 0o755, 0},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("layer (-want +got):\n%s", d)
	}

	// The docker-save tarball holds the same image, tagged with the version.
	tag, _ := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(writeTemp(t, tars[0])) })
	if len(tag) != 1 || !slices.Equal(tag[0].RepoTags, []string{"ghcr.io/assay-dev/assay:v1.2.3"}) {
		t.Errorf("tarball manifest = %+v", tag)
	}
	timg, err := tarball.ImageFromPath(writeTemp(t, tars[0]), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := timg.ConfigName(); d != mustConfigName(t, img) {
		t.Errorf("the tarball's config %s differs from the layout's", d)
	}
}

func mustConfigName(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no binary", []string{"-tar", "x.tar"}, "give -binary"},
		{"no output", []string{"-binary", "assay"}, "give -binary"},
		{"bad time", []string{"-binary", "assay", "-tar", "x.tar", "-created", "yesterday"}, "want Unix seconds"},
		{"missing binary", []string{"-binary", filepath.Join(t.TempDir(), "none"), "-tar", filepath.Join(t.TempDir(), "x.tar")}, "binary:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(tc.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestDockerfileInStep keeps packaging/Dockerfile building what mkimage
// assembles: the same user, entrypoint, command, environment, port, files.
func TestDockerfileInStep(t *testing.T) {
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	has := func(want string) {
		t.Helper()
		if !slices.Contains(lines, want) {
			t.Errorf("the Dockerfile has no line %q", want)
		}
	}
	quoted := func(s []string) string { b, _ := json.Marshal(s); return strings.ReplaceAll(string(b), ",", ", ") }
	has("FROM scratch")
	has("USER " + user)
	has("ENTRYPOINT " + quoted(entrypoint))
	has("CMD " + quoted(cmd))
	has("ENV " + strings.Join(env, " "))
	has("EXPOSE " + strings.Join(ports, " "))
	has("-o /out/" + binPath + " ./cmd/assay \\")
	has("&& cp /etc/ssl/certs/ca-certificates.crt /out/" + filepath.Dir(caPath) + "/ \\")
	esc := func(s string) string { return strings.ReplaceAll(s, "\n", `\n`) }
	has("&& printf '" + esc(passwd) + "' > /out/etc/passwd \\")
	has("&& printf '" + esc(group) + "' > /out/etc/group")
}
