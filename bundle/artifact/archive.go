package artifact

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
)

// Limits, as the bundle loader's: a bundle beyond them is a mistake or an
// attack.
const (
	maxFileSize = 16 << 20
	maxFiles    = 10000
	// MaxArchiveSize bounds a compressed archive read from a file, a URL or
	// a registry.
	MaxArchiveSize = 128 << 20
)

// epoch is the modification time of every archive entry: the same files
// give the same bytes whenever and wherever they are built.
var epoch = time.Unix(0, 0).UTC()

// Artifact is an opened, checked bundle archive.
type Artifact struct {
	// FS holds the archive's files in memory; the bundle loader reads it
	// (bundle.LoadFSContext) and skips the hidden manifest and signatures.
	FS fs.FS
	// Manifest is nil for a plain .tar.gz that was not built by assay.
	Manifest *Manifest
	// Digest is "sha256:<hex>" of the archive bytes.
	Digest string
	// KeyID names the key whose signature verified; empty when no key was
	// asked for.
	KeyID string

	files map[string][]byte
	data  []byte
}

// Bytes returns the archive as it was opened (shared, do not modify).
func (a *Artifact) Bytes() []byte { return a.data }

// Files returns the archive's files by name (shared, do not modify).
func (a *Artifact) Files() map[string][]byte { return a.files }

// Build archives the bundle files of fsys (bundle.ListFiles: every file but
// hidden ones, in any directory, as the HCL may read any of them) with a
// manifest m, whose Files it fills. A bundle holds only regular files. The
// archive is reproducible: sorted entries, fixed times, owners and modes,
// and a gzip header without name or time.
func Build(fsys fs.FS, m Manifest) ([]byte, error) {
	files, err := readFiles(fsys)
	if err != nil {
		return nil, fmt.Errorf("build bundle: %w", err)
	}
	if len(files) == 0 {
		return nil, errors.New("build bundle: no files")
	}
	m.Files = manifestFiles(files)
	mdata, err := m.encode()
	if err != nil {
		return nil, err
	}
	files[ManifestName] = mdata
	return writeArchive(files)
}

// readFiles reads the files of the bundle in fsys, stopping at the first
// that cannot be listed or read, is not a regular file, or exceeds a limit.
func readFiles(fsys fs.FS) (map[string][]byte, error) {
	files := map[string][]byte{}
	var total int64
	for _, e := range bundle.ListFiles(fsys) {
		p := e.Name
		if e.Err != nil {
			return nil, e.Err
		}
		if !e.Type.IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file (%s); a bundle holds only regular files", p, e.Type)
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		if len(data) > maxFileSize {
			return nil, fmt.Errorf("%s is larger than %d MiB", p, maxFileSize>>20)
		}
		total += int64(len(data))
		if total > MaxArchiveSize {
			return nil, fmt.Errorf("the bundle's files add up to more than %d MiB", MaxArchiveSize>>20)
		}
		if len(files) >= maxFiles {
			return nil, fmt.Errorf("the bundle has more than %d files", maxFiles)
		}
		files[p] = data
	}
	return files, nil
}

// writeArchive writes files as a reproducible .tar.gz.
func writeArchive(files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	// The zero Header: no name, no modification time; the OS byte is
	// always "unknown".
	tw := tar.NewWriter(zw)
	for _, name := range names {
		data := files[name]
		h := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     name,
			Size:     int64(len(data)),
			Mode:     0o644,
			ModTime:  epoch,
			Format:   tar.FormatPAX,
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("write %s: %w", name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, fmt.Errorf("write %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Options say what Open requires of an archive.
type Options struct {
	// Keys are the trusted public keys. When there is one or more, the
	// archive must carry a manifest and a signature by one of them that
	// covers every file.
	Keys []PublicKey
	// AssayVersion is the running assay's version, compared with the
	// manifest's assay_version.
	AssayVersion string
}

// Open reads an archive in memory and checks it: safe entries only (see
// bundle.ReadArchive), every file as the manifest says, a signature by one
// of opts.Keys, and an assay version no newer than the running one. name
// is the archive's name in messages. It returns nothing usable on error, so
// a bundle is never partially loaded.
func Open(ctx context.Context, data []byte, name string, opts Options) (*Artifact, error) {
	if len(data) > MaxArchiveSize {
		return nil, fmt.Errorf("%w: %s is larger than %d MiB", ErrInvalid, name, MaxArchiveSize>>20)
	}
	fsys, diags := bundle.ReadArchive(ctx, bytes.NewReader(data), name)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, diagText(diags))
	}
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		files[p] = data
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
	}
	a := &Artifact{FS: fsys, Digest: "sha256:" + digest(data), files: files, data: data}
	if mdata, ok := files[ManifestName]; ok {
		if a.Manifest, err = parseManifest(mdata); err != nil {
			return nil, err
		}
	}
	if len(opts.Keys) > 0 {
		if a.Manifest == nil {
			return nil, fmt.Errorf("%w: %s has no %s: only archives made by 'assay bundle build' and signed with 'assay bundle sign' can be verified", ErrSignature, name, ManifestName)
		}
		if a.KeyID, err = verify(files, opts.Keys); err != nil {
			return nil, err
		}
	}
	if a.Manifest != nil {
		if err := a.Manifest.checkFiles(files); err != nil {
			return nil, err
		}
		if err := CheckAssayVersion(a.Manifest.AssayVersion, opts.AssayVersion); err != nil {
			return nil, fmt.Errorf("bundle %s %s: %w", a.Manifest.Name, a.Manifest.Version, err)
		}
	}
	return a, nil
}

// diagText flattens archive diagnostics into one message.
func diagText(diags hcl.Diagnostics) string {
	var msgs []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			msgs = append(msgs, strings.TrimSuffix(d.Detail, "."))
		}
	}
	return strings.Join(msgs, "; ")
}

// ReadLimited reads at most MaxArchiveSize bytes from r, refusing more. On
// a read error it returns the bytes read so far with the error.
func ReadLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxArchiveSize+1))
	if err != nil {
		return data, err // what was read, for messages
	}
	if len(data) > MaxArchiveSize {
		return nil, fmt.Errorf("%w: larger than %d MiB", ErrInvalid, MaxArchiveSize>>20)
	}
	return data, nil
}
