package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

// Options tune how an image is fetched and indexed. The zero value is ready
// to use: every limit has a default.
type Options struct {
	// Platform selects an image of a multi-platform index, "os/arch[/variant]"
	// (default linux/amd64, as go-containerregistry does).
	Platform string
	// Insecure allows plain HTTP to the registry. It is never implied, not
	// even for localhost.
	Insecure bool
	// TempDir holds the spill file and downloaded layers (default os.TempDir).
	TempDir string
	// SmallFileSize is the largest file of a compressed layer whose content
	// is copied to the spill file while indexing (default 64 KiB).
	SmallFileSize int64
	// SpillLimit bounds the spill file (default 1 GiB; negative: no spill,
	// every read of a compressed layer decompresses it again).
	SpillLimit int64
	// MaxSize bounds the uncompressed bytes read from all layers (default
	// 32 GiB): a compression bomb fails with ErrTooLarge instead of running
	// for hours.
	MaxSize int64
	// MaxEntries bounds the tar entries of all layers, and so the index
	// memory, about 200 bytes an entry (default 1,000,000).
	MaxEntries int
	// MaxNameBytes bounds the bytes of names and link targets of all
	// entries, which the index keeps (default 256 MiB: a million entries
	// of 4 KiB names would otherwise cost 4 GiB).
	MaxNameBytes int64
	// MaxSkips bounds the skips kept for Skips (default 1000); SkipsTotal
	// counts them all.
	MaxSkips int
}

func (o Options) withDefaults() Options {
	if o.SmallFileSize == 0 {
		o.SmallFileSize = 64 << 10
	}
	if o.SpillLimit == 0 {
		o.SpillLimit = 1 << 30
	}
	if o.MaxSize == 0 {
		o.MaxSize = 32 << 30
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = 1_000_000
	}
	if o.MaxNameBytes == 0 {
		o.MaxNameBytes = 256 << 20
	}
	if o.MaxSkips == 0 {
		o.MaxSkips = 1000
	}
	return o
}

// Image is a container image as a read-only target.Target: the layers'
// flattened tree, indexed in memory, with file contents served from the
// layer blobs.
type Image struct {
	tree
	info    target.Info
	skips   report.SkipLog
	closers []io.Closer
	config  target.ImageConfig
}

var _ target.Image = (*Image)(nil)

// ErrMalformed is wrapped by Open when the image itself is broken: a bad
// manifest or config, a missing blob, a corrupt tar or compressed stream.
var ErrMalformed = errors.New("malformed image")

// Open opens an image by reference: a docker-save tarball path, "oci:DIR"
// (optionally "oci:DIR@sha256:…" or "oci:DIR:tag"), or a registry reference.
// Each layer is read once, to its end, to build the index; nothing is
// extracted.
func Open(ctx context.Context, ref string, opts Options) (*Image, error) {
	opts = opts.withDefaults()
	src, err := openSource(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	img, err := build(ctx, src.layers, opts)
	if err != nil {
		closeAll(src.closers)
		return nil, fmt.Errorf("image %s: %w", ref, err)
	}
	img.closers = append(img.closers, src.closers...)
	img.info = target.Info{Kind: target.KindImage, Name: ref, Digest: src.digest}
	img.config = src.config
	return img, nil
}

// build indexes layers, bottom first.
func build(ctx context.Context, layers []*layer, opts Options) (*Image, error) {
	sp, err := newSpill(opts.TempDir, opts.SpillLimit)
	if err != nil {
		// Without a spill file every read of a compressed layer
		// decompresses again: slower, still correct.
		slog.Debug("image: no spill file", "err", err)
		sp = nil
	}
	b := newBuilder(opts, sp)
	img := &Image{tree: tree{layers: layers, spill: sp}}
	if sp != nil {
		img.closers = append(img.closers, closerFunc(sp.close))
	}
	for i, l := range layers {
		l.idx = int32(i)
	}
	if err := b.addLayers(ctx, layers); err != nil {
		closeAll(img.closers)
		if errors.Is(err, ErrTooLarge) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if err := sp.done(); err != nil {
		closeAll(img.closers)
		return nil, err
	}
	b.finish()
	img.root = b.root
	img.skips = b.skips
	return img, nil
}

// Info implements target.Target: the reference as given and the manifest
// digest (for a docker-save tarball without an OCI index, the config digest,
// which is the image ID).
func (im *Image) Info() target.Info { return im.info }

// Skips lists the layer entries that were not taken into the tree, and why
// (bounded by Options.MaxSkips, each path and reason by
// report.MaxSkipText; SkipsTotal has the full count, SkipsByReason the
// count per cause). The CLI reports them: an image scan never drops an
// entry silently.
func (im *Image) Skips() []report.Skip { return im.skips.Skips() }

// SkipsTotal counts all skipped entries.
func (im *Image) SkipsTotal() int { return im.skips.Total() }

// SkipsByReason counts the skipped entries per cause, most frequent first.
func (im *Image) SkipsByReason() []report.SkipCount { return im.skips.ByReason() }

// Close releases the blobs, downloaded layers and the spill file.
func (im *Image) Close() error {
	for _, l := range im.layers {
		l.close()
	}
	err := closeAll(im.closers)
	im.closers = nil
	return err
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

func closeAll(cs []io.Closer) error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
