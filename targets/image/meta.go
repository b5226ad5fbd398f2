package image

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/assay-dev/assay/core/target"
)

// maxMetadata bounds each metadata file of an image (index.json, oci-layout,
// manifest.json, manifests, configs, indexes) read into memory.
const maxMetadata = 16 << 20

// metaChunk is how much of a metadata file is read between checks of the
// context.
const metaChunk = 1 << 20

// openFlags open an image file without blocking on a FIFO (the type is
// checked once it is open) and without making a terminal ours.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY | syscall.O_CLOEXEC

// openIn opens name inside an OCI layout as a regular file: root confines
// the lookup (a symbolic link that leads out of the layout is refused, as is
// "..") and the file is checked to be regular once open, so a FIFO, a device
// or a directory never reaches a reader. Names come from the layout itself.
func openIn(root *os.Root, name string) (*os.File, int64, error) {
	f, err := root.OpenFile(name, openFlags, 0)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
			// os.Root says "path escapes from parent" for a link out of
			// the layout.
			return nil, 0, fmt.Errorf("%s: %v (a file of the layout must be inside the layout directory, not a link out of it)", name, pe.Err)
		}
		return nil, 0, err
	}
	return regular(f, name)
}

// regular returns f, just opened as name, and its size if it is a regular
// file; otherwise it closes f and says what it is.
func regular(f *os.File, name string) (*os.File, int64, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s: a %s, not a regular file", name, target.TypeString(fi.Mode()))
	}
	return f, fi.Size(), nil
}

// readMeta reads a metadata file of an OCI layout: a regular file inside
// the layout, at most maxMetadata bytes, read under ctx.
func readMeta(ctx context.Context, root *os.Root, name string) ([]byte, error) {
	f, size, err := openIn(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > maxMetadata {
		return nil, tooBigMeta(name, size)
	}
	return readLimited(ctx, f, name, maxMetadata)
}

// readLimited reads r to its end, refusing more than limit bytes (a file
// may grow while it is read) and checking ctx between chunks.
func readLimited(ctx context.Context, r io.Reader, name string, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	lr := io.LimitReader(r, limit+1)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		_, err := io.CopyN(&buf, lr, metaChunk)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
	}
	if int64(buf.Len()) > limit {
		return nil, tooBigMeta(name, -1)
	}
	return buf.Bytes(), nil
}

// metaError marks a failure to read a metadata file as a malformed image,
// unless the scan was canceled. what names the file's role, if not its name.
func metaError(err error, what string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if what != "" {
		return malformed("%s: %v", what, err)
	}
	return malformed("%v", err)
}

func tooBigMeta(name string, size int64) error {
	if size >= 0 {
		return fmt.Errorf("%s: %d bytes, more than the %d (16 MiB) allowed for an image's metadata file", name, size, maxMetadata)
	}
	return fmt.Errorf("%s: more than the %d bytes (16 MiB) allowed for an image's metadata file", name, maxMetadata)
}

// blobName is where a layout stores the blob of a digest. v1.Hash has
// validated the algorithm and the hex digits, so the name has no "/" or ".."
// of its own.
func blobName(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// readMetaBlob reads a manifest, index or config blob of a layout and checks
// it against its digest.
func readMetaBlob(ctx context.Context, root *os.Root, d v1.Descriptor) ([]byte, error) {
	name := blobName(d.Digest)
	if d.Size > maxMetadata {
		return nil, tooBigMeta(name, d.Size)
	}
	raw, err := readMeta(ctx, root, name)
	if err != nil {
		return nil, err
	}
	hh, err := v1.Hasher(d.Digest.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	hh.Write(raw)
	if got := hex.EncodeToString(hh.Sum(nil)); got != d.Digest.Hex {
		return nil, fmt.Errorf("%s: content does not match its digest (%s:%s)", name, d.Digest.Algorithm, got)
	}
	return raw, nil
}
