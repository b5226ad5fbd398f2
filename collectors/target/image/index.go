package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/assay-dev/assay/collectors/target"
	"github.com/assay-dev/assay/engine/report"
)

// Limits that keep a hostile name from costing memory.
const (
	maxNameLen    = 4096 // PATH_MAX
	maxElementLen = 255  // NAME_MAX
)

// ErrTooLarge is wrapped when an image exceeds Options.MaxSize or
// Options.MaxEntries: a tar bomb is refused rather than read to the end.
var ErrTooLarge = errors.New("image exceeds the configured limit")

// builder turns a sequence of layer tar streams, bottom layer first, into the
// flattened tree. It reads each layer exactly once, to its end.
type builder struct {
	opts      Options
	root      *node
	nextIno   uint64
	entries   int
	total     int64 // uncompressed layer bytes read so far, all layers
	spill     *spill
	skips     []report.Skip
	skipTotal int
}

func newBuilder(opts Options, sp *spill) *builder {
	b := &builder{opts: opts, spill: sp}
	b.root = b.newNode(fs.ModeDir|0o755, -1)
	return b
}

func (b *builder) newNode(mode fs.FileMode, layer int32) *node {
	b.nextIno++
	n := &node{mode: mode, layer: layer, ino: b.nextIno}
	if mode.IsDir() {
		n.kids = map[string]*node{}
	}
	return n
}

func (b *builder) skip(l *layer, name, reason string) {
	b.skipTotal++
	if len(b.skips) < b.opts.MaxSkips {
		b.skips = append(b.skips, report.Skip{Path: name, Reason: fmt.Sprintf("%s: %s", l, reason)})
	}
}

// addLayer indexes one layer. Entries are applied in tar order on top of the
// tree built from the layers below, as a container runtime unpacks them.
func (b *builder) addLayer(ctx context.Context, l *layer) error {
	stream, closeStream, err := l.indexStream(ctx, b)
	if err != nil {
		return fmt.Errorf("%s: %w", l, err)
	}
	defer closeStream()
	tr := tar.NewReader(stream)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		// ErrInsecurePath comes with a usable header (GODEBUG
		// tarinsecurepath=0); the name is judged below like any other.
		if err != nil && (hdr == nil || !errors.Is(err, tar.ErrInsecurePath)) {
			return fmt.Errorf("%s: read tar: %w", l, err)
		}
		b.entries++
		if b.entries > b.opts.MaxEntries {
			return fmt.Errorf("%s: more than %d entries: %w", l, b.opts.MaxEntries, ErrTooLarge)
		}
		if err := b.apply(l, hdr, tr, stream); err != nil {
			return fmt.Errorf("%s: %s: %w", l, hdr.Name, err)
		}
	}
	// Read to the real end of the blob: a gzip checksum is only verified
	// there, and trailing garbage would otherwise pass unnoticed.
	if _, err := io.Copy(io.Discard, stream); err != nil {
		return fmt.Errorf("%s: after the end of the archive: %w", l, err)
	}
	return nil
}

// cleanName validates an entry name. Names that are absolute or contain ".."
// are refused outright, even when they would clean to a name inside the root:
// no legitimate layer writer produces them.
func cleanName(raw string) (string, string) {
	switch {
	case raw == "":
		return "", "empty name"
	case strings.HasPrefix(raw, "/"):
		return "", "absolute path in layer"
	case strings.ContainsRune(raw, 0):
		return "", "NUL in name"
	case len(raw) > maxNameLen:
		return "", "name longer than 4096 bytes"
	}
	for _, el := range strings.Split(raw, "/") {
		if el == ".." {
			return "", "path climbs out of the root (..)"
		}
		if len(el) > maxElementLen {
			return "", "name element longer than 255 bytes"
		}
	}
	return path.Clean(raw), ""
}

// positioner reports the offset in the layer's (uncompressed) tar stream of
// the next byte the tar reader will consume.
type positioner interface{ pos() int64 }

func (b *builder) apply(l *layer, hdr *tar.Header, tr *tar.Reader, stream positioner) error {
	name, bad := cleanName(hdr.Name)
	if bad != "" {
		b.skip(l, hdr.Name, bad)
		return nil
	}
	dir, base := path.Split(name)
	dir = path.Clean(dir)
	if strings.HasPrefix(base, ".wh.") {
		b.whiteout(l, dir, base, name)
		return nil
	}
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	if name == "." {
		if hdr.Typeflag == tar.TypeDir {
			b.setMeta(b.root, hdr, l.idx)
		} else {
			b.skip(l, "/", "a non-directory cannot replace the root")
		}
		return nil
	}
	parent, err := b.mkdirAll(dir, l.idx)
	if err != nil {
		b.skip(l, target.Abs(name), err.Error())
		return nil
	}
	old := parent.kids[base]
	var n *node
	switch hdr.Typeflag {
	case tar.TypeDir:
		if old != nil && old.isDir() {
			b.setMeta(old, hdr, l.idx)
			return nil
		}
		n = b.newNode(fs.ModeDir, l.idx)
	case tar.TypeReg, tar.TypeGNUSparse:
		n = b.newNode(0, l.idx)
		if err := b.setContent(l, n, hdr, tr, stream, name); err != nil {
			return err
		}
	case tar.TypeSymlink:
		if len(hdr.Linkname) > maxNameLen || strings.ContainsRune(hdr.Linkname, 0) {
			b.skip(l, target.Abs(name), "symlink target longer than 4096 bytes or with NUL")
			return nil
		}
		n = b.newNode(fs.ModeSymlink, l.idx)
		n.link = hdr.Linkname
	case tar.TypeLink:
		n = b.hardlink(l, hdr, name)
		if n == nil {
			return nil
		}
	case tar.TypeChar:
		n = b.newNode(fs.ModeDevice|fs.ModeCharDevice, l.idx)
	case tar.TypeBlock:
		n = b.newNode(fs.ModeDevice, l.idx)
	case tar.TypeFifo:
		n = b.newNode(fs.ModeNamedPipe, l.idx)
	default:
		b.skip(l, target.Abs(name), fmt.Sprintf("unsupported tar entry type %q", hdr.Typeflag))
		return nil
	}
	if hdr.Typeflag != tar.TypeLink {
		b.setMeta(n, hdr, l.idx)
	}
	if old != nil && old.layer == l.idx && !(old.isDir() && n.isDir()) {
		b.skip(l, target.Abs(name), "duplicate entry in one layer: the later one wins")
	}
	parent.kids[base] = n
	return nil
}

func (b *builder) setMeta(n *node, hdr *tar.Header, layer int32) {
	typ := n.mode.Type()
	n.mode = typ | fs.FileMode(hdr.Mode)&fs.ModePerm
	if hdr.Mode&0o4000 != 0 {
		n.mode |= fs.ModeSetuid
	}
	if hdr.Mode&0o2000 != 0 {
		n.mode |= fs.ModeSetgid
	}
	if hdr.Mode&0o1000 != 0 {
		n.mode |= fs.ModeSticky
	}
	n.uid, n.gid = uint32(hdr.Uid), uint32(hdr.Gid)
	if !hdr.ModTime.IsZero() {
		n.mtime = hdr.ModTime.UnixNano()
	}
	n.layer = layer
}

// setContent records where a regular file's bytes are. Content in a
// compressed layer is copied to the spill file when small (so that reading it
// later costs one pread instead of decompressing the layer again); large
// files are re-read from the layer on demand.
func (b *builder) setContent(l *layer, n *node, hdr *tar.Header, tr *tar.Reader, stream positioner, name string) error {
	n.size = hdr.Size
	sparse := hdr.Typeflag == tar.TypeGNUSparse
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			sparse = true
		}
	}
	small := hdr.Size <= b.opts.SmallFileSize
	switch {
	case small && (sparse || l.comp != plain) && b.spill.fits(hdr.Size):
		off, err := b.spill.copy(tr, hdr.Size)
		if err != nil {
			return fmt.Errorf("read content: %w", err)
		}
		n.data = content{where: inSpill, off: off}
	case sparse:
		// Expanding a sparse file means reading its holes as zeros: a
		// 1 TB file of holes in a 1 kB layer is a classic bomb.
		n.data = content{where: unreadable}
		b.skip(l, target.Abs(name), fmt.Sprintf("sparse file of %d bytes: content not served", hdr.Size))
	case l.comp == plain:
		n.data = content{where: inLayer, layer: l.idx, off: stream.pos()}
	default:
		n.data = content{where: inStream, layer: l.idx, off: stream.pos()}
	}
	return nil
}

// hardlink makes a new name for an entry that already exists in the tree as
// built so far (earlier in this layer or in a lower one). Targets are looked
// up exactly, without following symbolic links.
func (b *builder) hardlink(l *layer, hdr *tar.Header, name string) *node {
	tname, bad := cleanName(hdr.Linkname)
	if bad != "" {
		b.skip(l, target.Abs(name), "hard link target "+bad)
		return nil
	}
	t := lookupExact(b.root, tname)
	switch {
	case t == nil:
		b.skip(l, target.Abs(name), fmt.Sprintf("hard link to %s, which is not in this or a lower layer", target.Abs(tname)))
		return nil
	case t.isDir():
		b.skip(l, target.Abs(name), "hard link to a directory")
		return nil
	}
	n := *t
	n.layer = l.idx
	return &n
}

// mkdirAll returns the directory dir, creating missing parents as implicit
// directories. Every directory on the way is marked as touched by layer, so
// that an opaque marker later in the same layer keeps what this layer added.
// A parent that is a symlink is not followed: its entries are skipped.
func (b *builder) mkdirAll(dir string, layer int32) (*node, error) {
	cur := b.root
	if dir == "." {
		return cur, nil
	}
	for _, p := range strings.Split(dir, "/") {
		next := cur.kids[p]
		if next == nil {
			next = b.newNode(fs.ModeDir|0o755, layer)
			cur.kids[p] = next
		}
		if !next.isDir() {
			return nil, errNotDirParent
		}
		next.layer = layer
		cur = next
	}
	return cur, nil
}

// whiteout applies ".wh.NAME" (hide NAME of the layers below) and
// ".wh..wh..opq" (hide everything the layers below put in this directory).
// Entries the same layer added are kept, as with overlayfs.
func (b *builder) whiteout(l *layer, dir, base, name string) {
	parent := lookupExact(b.root, dir)
	if base == ".wh..wh..opq" {
		if parent != nil && parent.isDir() {
			prune(parent, l.idx)
		}
		return
	}
	if strings.HasPrefix(base, ".wh..wh.") {
		return // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs)
	}
	victim := strings.TrimPrefix(base, ".wh.")
	if victim == "" || victim == "." || victim == ".." {
		b.skip(l, target.Abs(name), "malformed whiteout")
		return
	}
	if parent == nil || !parent.isDir() {
		return
	}
	v := parent.kids[victim]
	switch {
	case v == nil:
	case v.layer < l.idx:
		delete(parent.kids, victim)
	case v.isDir():
		prune(v, l.idx)
	}
}

// prune removes what layers below layer put under dir.
func prune(dir *node, layer int32) {
	for k, c := range dir.kids {
		switch {
		case c.layer < layer:
			delete(dir.kids, k)
		case c.isDir():
			prune(c, layer)
		}
	}
}

// finish counts hard links, so that Stat reports Nlink as the kernel would.
func (b *builder) finish() {
	counts := map[uint64]uint32{}
	var walk func(n *node, f func(*node))
	walk = func(n *node, f func(*node)) {
		f(n)
		for _, c := range n.kids {
			walk(c, f)
		}
	}
	walk(b.root, func(n *node) { counts[n.ino]++ })
	walk(b.root, func(n *node) { n.nlink = counts[n.ino] })
}
