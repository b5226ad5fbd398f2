package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/internal/safefile"
)

// source is an image resolved to its layer blobs, bottom layer first.
type source struct {
	digest  string
	layers  []*layer
	closers []io.Closer
	config  target.ImageConfig
}

// openSource dispatches on the reference's form: "oci:" names an OCI
// layout, "docker://" or "registry://" a registry reference, an existing
// file is a docker-save tarball, a reference that looks like a path (see
// LooksLikePath) and does not exist is an error wrapping fs.ErrNotExist,
// anything else is a registry reference.
func openSource(ctx context.Context, ref string, opts Options) (*source, error) {
	if spec, ok := strings.CutPrefix(ref, "oci:"); ok {
		return openLayout(ctx, spec, opts)
	}
	for _, prefix := range registryPrefixes {
		if r, ok := strings.CutPrefix(ref, prefix); ok {
			return openRemote(ctx, r, opts)
		}
	}
	fi, err := os.Stat(ref)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		return nil, fmt.Errorf("image %s: not a regular file (a docker-save tarball is expected; use oci:DIR for an OCI layout)", ref)
	case err == nil:
		return openTarball(ctx, ref)
	case LooksLikePath(ref):
		// The stat error without its "stat NAME:" prefix, which would
		// repeat the name: "no such file or directory".
		err = safefile.WithoutPath(err)
		return nil, fmt.Errorf("image %s: %w (a reference that looks like a path is read as a file; write docker://%s to pull it from a registry)", ref, err, ref)
	}
	return openRemote(ctx, ref, opts)
}

// registryPrefixes force a reference to be pulled from a registry, even
// one that looks like a path.
var registryPrefixes = []string{"docker://", "registry://"}

// LooksLikePath says whether an image reference names a file rather than a
// registry image: it ends in .tar, .tar.gz or .tgz, or starts with ./,
// ../, / or ~. Such a reference that does not exist is an error, never a
// pull from a registry.
func LooksLikePath(ref string) bool {
	for _, suffix := range []string{".tar", ".tar.gz", ".tgz"} {
		if strings.HasSuffix(ref, suffix) {
			return true
		}
	}
	for _, prefix := range []string{"./", "../", "/", "~"} {
		if strings.HasPrefix(ref, prefix) {
			return true
		}
	}
	return false
}

// openRegular opens a file without blocking on a FIFO and refuses anything
// but a regular file: blob paths come from untrusted manifests and layouts.
func openRegular(p string) (*os.File, int64, error) {
	f, err := os.OpenFile(p, openFlags, 0)
	if err != nil {
		return nil, 0, err
	}
	return regular(f, p)
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// span is a member of the outer docker-save tar.
type span struct {
	off, size int64
	link      string // symlink or hard link target, already joined
}

// maxOuterEntries bounds the members of a docker-save tarball we index.
const maxOuterEntries = 100_000

// openTarball reads a docker-save tarball (both the legacy layout with
// manifest.json and <id>/layer.tar, and the OCI layout docker 25+ writes).
// Layer blobs are sections of the tarball file: nothing is copied.
func openTarball(ctx context.Context, p string) (_ *source, err error) {
	f, size, err := openRegular(p)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", p, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			err = fmt.Errorf("image %s: %w", p, err)
		}
	}()
	members, err := indexOuter(ctx, f, size)
	if err != nil {
		return nil, err
	}
	read := func(name string) ([]byte, error) {
		s, err := members.find(name)
		if err != nil {
			return nil, err
		}
		if s.size > maxMetadata {
			return nil, malformed("%v", tooBigMeta(name, s.size))
		}
		b := make([]byte, s.size)
		if _, err := f.ReadAt(b, s.off); err != nil {
			return nil, malformed("read %s: %v", name, err)
		}
		return b, nil
	}
	raw, err := read("manifest.json")
	if err != nil {
		return nil, err
	}
	var m tarball.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, malformed("manifest.json: %v", err)
	}
	if len(m) != 1 {
		return nil, malformed("manifest.json lists %d images; save exactly one", len(m))
	}
	rawCfg, err := read(m[0].Config)
	if err != nil {
		return nil, err
	}
	cfg, err := v1.ParseConfigFile(strings.NewReader(string(rawCfg)))
	if err != nil {
		return nil, malformed("config %s: %v", m[0].Config, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m[0].Layers) {
		return nil, malformed("config lists %d layers, manifest.json %d", len(cfg.RootFS.DiffIDs), len(m[0].Layers))
	}
	sum := sha256.Sum256(rawCfg)
	src := &source{digest: "sha256:" + hex.EncodeToString(sum[:]), closers: []io.Closer{f}, config: imageConfig(cfg)}
	// Docker 25+ also writes an OCI index: its manifest digest is the one a
	// registry would show, so prefer it.
	if rawIdx, err := read("index.json"); err == nil {
		if im, err := v1.ParseIndexManifest(strings.NewReader(string(rawIdx))); err == nil && len(im.Manifests) == 1 {
			src.digest = im.Manifests[0].Digest.String()
		}
	}
	for i, name := range m[0].Layers {
		s, err := members.find(name)
		if err != nil {
			return nil, err
		}
		src.layers = append(src.layers, &layer{desc: cfg.RootFS.DiffIDs[i].String(), blob: io.NewSectionReader(f, s.off, s.size), size: s.size})
	}
	return src, nil
}

type outer map[string]span

// find returns a member, following links inside the tarball (older docker
// versions link duplicate layer.tar files to one another).
func (o outer) find(name string) (span, error) {
	name = path.Clean(name)
	for range maxHops {
		s, ok := o[name]
		if !ok {
			return span{}, malformed("%s: not in the tarball", name)
		}
		if s.link == "" {
			return s, nil
		}
		name = s.link
	}
	return span{}, malformed("%s: %v", name, errLoop)
}

func indexOuter(ctx context.Context, f *os.File, size int64) (outer, error) {
	sr := io.NewSectionReader(f, 0, size)
	tr := tar.NewReader(sr)
	o := outer{}
	for i := 0; ; i++ {
		if i%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return o, nil
		}
		if err != nil && (hdr == nil || !errors.Is(err, tar.ErrInsecurePath)) {
			return nil, malformed("read tarball: %v", err)
		}
		if len(o) >= maxOuterEntries {
			return nil, malformed("more than %d members", maxOuterEntries)
		}
		name := path.Clean(hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeReg:
			off, _ := sr.Seek(0, io.SeekCurrent)
			o[name] = span{off: off, size: hdr.Size}
		case tar.TypeSymlink:
			o[name] = span{link: path.Join(path.Dir(name), hdr.Linkname)}
		case tar.TypeLink:
			o[name] = span{link: path.Clean(hdr.Linkname)}
		}
	}
}

// openLayout reads an OCI image layout. spec is DIR, DIR@sha256:… or
// DIR:tag (matched against org.opencontainers.image.ref.name). Every file is
// opened inside DIR (os.Root: no link leads out of it), as a regular file
// only; metadata is read with the maxMetadata limit under ctx and checked
// against its digest.
func openLayout(ctx context.Context, spec string, opts Options) (_ *source, err error) {
	dir, sel := splitLayoutRef(spec)
	defer func() {
		if err != nil {
			err = fmt.Errorf("image oci:%s: %w", spec, err)
		}
	}()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open the layout directory: %w", err)
	}
	defer root.Close()
	if err := checkLayoutFile(ctx, root); err != nil {
		return nil, err
	}
	rawIdx, err := readMeta(ctx, root, "index.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s has no index.json: give an OCI image layout (oci-layout, index.json, blobs/), or a docker-save tarball without oci: (%w)", dir, err)
	}
	if err != nil {
		return nil, metaError(err, "")
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(rawIdx))
	if err != nil {
		return nil, malformed("index.json: %v", err)
	}
	desc, err := selectManifest(im.Manifests, sel, opts.Platform)
	if err != nil {
		return nil, err
	}
	if desc.MediaType.IsIndex() {
		raw, err := readMetaBlob(ctx, root, desc)
		if err != nil {
			return nil, metaError(err, "index "+desc.Digest.String())
		}
		cim, err := v1.ParseIndexManifest(bytes.NewReader(raw))
		if err != nil {
			return nil, malformed("index %s: %v", desc.Digest, err)
		}
		if desc, err = selectManifest(cim.Manifests, "", opts.Platform); err != nil {
			return nil, err
		}
		if desc.MediaType.IsIndex() {
			return nil, malformed("index %s: an index of indexes of indexes; give oci:DIR@sha256:… of an image manifest", desc.Digest)
		}
	}
	raw, err := readMetaBlob(ctx, root, desc)
	if err != nil {
		return nil, metaError(err, "manifest "+desc.Digest.String())
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, malformed("manifest %s: %v", desc.Digest, err)
	}
	rawCfg, err := readMetaBlob(ctx, root, m.Config)
	if err != nil {
		return nil, metaError(err, "config "+m.Config.Digest.String())
	}
	cfg, err := parseConfig(m.Config.Digest.String(), rawCfg)
	if err != nil {
		return nil, err
	}
	src := &source{digest: desc.Digest.String(), config: imageConfig(cfg)}
	defer func() {
		if err != nil {
			closeAll(src.closers)
		}
	}()
	for _, ld := range m.Layers {
		f, size, err := openIn(root, blobName(ld.Digest))
		if err != nil {
			return nil, malformed("layer %s: %v", ld.Digest, err)
		}
		src.closers = append(src.closers, f)
		if size != ld.Size {
			return nil, malformed("layer %s: blob is %d bytes, manifest says %d", ld.Digest, size, ld.Size)
		}
		src.layers = append(src.layers, &layer{desc: ld.Digest.String(), blob: f, size: size})
	}
	return src, nil
}

// checkLayoutFile reads the layout's oci-layout marker when there is one
// (go-containerregistry does not require it, and neither does assay) and
// refuses a layout version assay does not know.
func checkLayoutFile(ctx context.Context, root *os.Root) error {
	raw, err := readMeta(ctx, root, "oci-layout")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return metaError(err, "")
	}
	var l struct {
		Version string `json:"imageLayoutVersion"`
	}
	if err := json.Unmarshal(raw, &l); err != nil {
		return malformed("oci-layout: %v", err)
	}
	if major, _, _ := strings.Cut(l.Version, "."); major != "1" {
		return malformed("oci-layout: image layout version %q; assay reads version 1.x", l.Version)
	}
	return nil
}

// splitLayoutRef splits "DIR@sha256:…" and "DIR:tag". A colon before the last
// slash belongs to the directory name.
func splitLayoutRef(spec string) (dir, sel string) {
	if i := strings.LastIndex(spec, "@"); i >= 0 {
		return spec[:i], spec[i+1:]
	}
	if i := strings.LastIndex(spec, ":"); i > strings.LastIndex(spec, "/") {
		if fi, err := os.Stat(spec); err != nil || !fi.IsDir() {
			return spec[:i], spec[i+1:]
		}
	}
	return spec, ""
}

const refNameAnnotation = "org.opencontainers.image.ref.name"

// selectManifest picks a descriptor by digest, by tag, alone, or by platform.
func selectManifest(descs []v1.Descriptor, sel, platform string) (v1.Descriptor, error) {
	if strings.HasPrefix(sel, "sha256:") {
		for _, d := range descs {
			if d.Digest.String() == sel {
				return d, nil
			}
		}
		return v1.Descriptor{}, malformed("no manifest with digest %s", sel)
	}
	if sel != "" {
		var tags []string
		for _, d := range descs {
			if d.Annotations[refNameAnnotation] == sel {
				return d, nil
			}
			if t := d.Annotations[refNameAnnotation]; t != "" {
				tags = append(tags, t)
			}
		}
		return v1.Descriptor{}, malformed("no manifest tagged %q (tags: %s)", sel, strings.Join(tags, ", "))
	}
	if len(descs) == 1 {
		return descs[0], nil
	}
	want, err := wantPlatform(platform)
	if err != nil {
		return v1.Descriptor{}, err
	}
	for _, d := range descs {
		if d.Platform != nil && d.Platform.Satisfies(*want) {
			return d, nil
		}
	}
	return v1.Descriptor{}, malformed("%d manifests and none for platform %s: select one with @sha256:… or :tag", len(descs), want)
}

func wantPlatform(s string) (*v1.Platform, error) {
	if s == "" {
		return &v1.Platform{OS: "linux", Architecture: "amd64"}, nil
	}
	p, err := v1.ParsePlatform(s)
	if err != nil {
		return nil, fmt.Errorf("platform %q: %w", s, err)
	}
	return p, nil
}
