package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

// Limits that keep a hostile name from costing memory.
const (
	maxNameLen    = 4096 // PATH_MAX
	maxElementLen = 255  // NAME_MAX
	// maxKeptName is how much of a malformed entry's name is kept to
	// report it: archive/tar hands over names of up to a megabyte (PAX and
	// GNU long names), and a layer can hold thousands of them.
	maxKeptName = 256
)

// ErrTooLarge is wrapped when an image exceeds Options.MaxSize or
// Options.MaxEntries: a tar bomb is refused rather than read to the end.
var ErrTooLarge = errors.New("image exceeds the configured limit")

// builder turns a sequence of layer tar streams, bottom layer first, into the
// flattened tree. Layers are scanned in parallel (decompression is the cost),
// each read exactly once to its end, into compact records; the records are
// then applied to the tree in layer order, as a container runtime unpacks.
type builder struct {
	opts    Options
	root    *node
	nextIno uint64
	entries atomic.Int64
	names   atomic.Int64 // bytes of names and link targets kept, all layers
	total   atomic.Int64 // uncompressed layer bytes read so far, all layers
	spill   *spill
	skips   report.SkipLog
}

// rec is one tar entry as scanned: what applying it needs, nothing more (a
// *tar.Header with its PAX map would cost several times as much).
type rec struct {
	name  string // cleaned; a prefix of the raw name when skip is set
	link  string
	skip  string // a reason: this record only reports a skipped entry
	class string // the cause the skip is counted by, when not skip itself
	typ   byte
	mode  int64
	uid   int
	gid   int
	mtime int64
	size  int64
	data  content
}

func newBuilder(opts Options, sp *spill) *builder {
	b := &builder{opts: opts, spill: sp, skips: report.SkipLog{Max: opts.MaxSkips}}
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

// skip reports an entry not taken into the tree: why says so for this
// entry, class (when not why itself) names the cause it is counted by.
func (b *builder) skip(l *layer, name, why, class string) {
	if class == "" {
		class = why
	}
	b.skips.Add(name, fmt.Sprintf("%s: %s", l, why), class)
}

// addLayers scans every layer, at most GOMAXPROCS at a time, then applies
// them in order. The first failing layer (lowest index) decides the error.
func (b *builder) addLayers(ctx context.Context, layers []*layer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recs := make([][]rec, len(layers))
	errs := make([]error, len(layers))
	sem := make(chan struct{}, max(1, min(runtime.GOMAXPROCS(0), len(layers))))
	var wg sync.WaitGroup
	for i, l := range layers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			recs[i], errs[i] = b.scan(ctx, l)
			if errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	// A layer canceled because another failed reports context.Canceled:
	// prefer the real cause.
	var first error
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return first
	}
	for i, l := range layers {
		for j := range recs[i] {
			b.apply(l, &recs[i][j])
		}
		recs[i] = nil
	}
	return nil
}

// scan reads one layer to its end and returns its entries in tar order.
func (b *builder) scan(ctx context.Context, l *layer) ([]rec, error) {
	stream, closeStream, err := l.indexStream(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l, err)
	}
	defer closeStream()
	tr := tar.NewReader(stream)
	var out []rec
	buf := make([]byte, 0, min(b.opts.SmallFileSize, 1<<20))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			// archive/tar also says io.EOF when the stream ends in the
			// padding of the last file or before the two zero blocks that
			// end an archive: a layer cut short there is refused, as a
			// cut gzip stream is. An empty blob is an empty layer.
			if stream.ended() && stream.pos() > 0 {
				return nil, fmt.Errorf("%s: read tar: %w: the layer ends before the end-of-archive marker (two blocks of zeros) of its tar: it was cut short", l, io.ErrUnexpectedEOF)
			}
			break
		}
		// ErrInsecurePath comes with a usable header (GODEBUG
		// tarinsecurepath=0); the name is judged below like any other.
		if err != nil && (hdr == nil || !errors.Is(err, tar.ErrInsecurePath)) {
			return nil, fmt.Errorf("%s: read tar: %w", l, err)
		}
		if n := b.entries.Add(1); n > int64(b.opts.MaxEntries) {
			return nil, fmt.Errorf("%s: more than %d entries: %w", l, b.opts.MaxEntries, ErrTooLarge)
		}
		// A malformed name is refused here, before anything keeps it:
		// only a short prefix of it is reported.
		name, bad := cleanName(hdr.Name)
		if bad != "" {
			why := bad
			if len(hdr.Name) > maxNameLen {
				why = fmt.Sprintf("%s: %d bytes", bad, len(hdr.Name))
			}
			out = append(out, rec{name: report.Shorten(hdr.Name, maxKeptName), skip: why, class: bad})
			continue
		}
		r := rec{name: name, typ: hdr.Typeflag, mode: hdr.Mode, uid: hdr.Uid, gid: hdr.Gid, size: hdr.Size}
		if r.typ == tar.TypeSymlink || r.typ == tar.TypeLink {
			if bad := badLink(hdr.Linkname); bad != "" {
				out = append(out, rec{name: target.Abs(name), skip: bad})
				continue
			}
			r.link = hdr.Linkname
		}
		if n := b.names.Add(int64(len(r.name) + len(r.link))); n > b.opts.MaxNameBytes {
			return nil, fmt.Errorf("%s: names and link targets of more than %d bytes: %w", l, b.opts.MaxNameBytes, ErrTooLarge)
		}
		if !hdr.ModTime.IsZero() {
			r.mtime = hdr.ModTime.UnixNano()
		}
		if r.typ == tar.TypeReg || r.typ == tar.TypeGNUSparse {
			note, err := b.locate(l, hdr, tr, stream, &r, &buf)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", l, hdr.Name, err)
			}
			if note != "" {
				out = append(out, rec{name: target.Abs(name), skip: note, class: "sparse file too large to serve"})
			}
		}
		out = append(out, r)
	}
	// Read to the real end of the blob: a gzip checksum is only verified
	// there, and trailing garbage would otherwise pass unnoticed.
	if _, err := io.Copy(io.Discard, stream); err != nil {
		return nil, fmt.Errorf("%s: after the end of the archive: %w", l, err)
	}
	return out, nil
}

// cleanName validates an entry name. Names that are absolute or contain ".."
// are refused outright, even when they would clean to a name inside the root:
// no legitimate layer writer produces them. The length is checked first, so
// that a megabyte name costs no more than its length.
func cleanName(raw string) (string, string) {
	switch {
	case len(raw) > maxNameLen:
		return "", "malformed entry: name longer than 4096 bytes (PATH_MAX)"
	case raw == "":
		return "", "empty name"
	case strings.HasPrefix(raw, "/"):
		return "", "absolute path in layer"
	case strings.ContainsRune(raw, 0):
		return "", "NUL in name"
	}
	for el := range strings.SplitSeq(raw, "/") {
		if el == ".." {
			return "", "path climbs out of the root (..)"
		}
		if len(el) > maxElementLen {
			return "", "malformed entry: name element longer than 255 bytes (NAME_MAX)"
		}
	}
	return path.Clean(raw), ""
}

// badLink judges a symbolic or hard link's target before it is kept.
func badLink(link string) string {
	if len(link) > maxNameLen || strings.ContainsRune(link, 0) {
		return "malformed entry: link target longer than 4096 bytes (PATH_MAX) or with NUL"
	}
	return ""
}

// positioner reports the offset in the layer's (uncompressed) tar stream of
// the next byte the tar reader will consume.
type positioner interface{ pos() int64 }

func (b *builder) apply(l *layer, r *rec) {
	if r.skip != "" {
		b.skip(l, r.name, r.skip, r.class)
		return
	}
	name := r.name
	dir, base := path.Split(name)
	dir = path.Clean(dir)
	if strings.HasPrefix(base, ".wh.") {
		b.whiteout(l, dir, base, name)
		return
	}
	if r.typ == tar.TypeXGlobalHeader {
		return
	}
	if name == "." {
		if r.typ == tar.TypeDir {
			b.setMeta(b.root, r, l.idx)
		} else {
			b.skip(l, "/", "a non-directory cannot replace the root", "")
		}
		return
	}
	parent, err := b.mkdirAll(dir, l.idx)
	if err != nil {
		b.skip(l, target.Abs(name), err.Error(), "")
		return
	}
	old := parent.kids[base]
	var n *node
	switch r.typ {
	case tar.TypeDir:
		if old != nil && old.isDir() {
			b.setMeta(old, r, l.idx)
			return
		}
		n = b.newNode(fs.ModeDir, l.idx)
	case tar.TypeReg, tar.TypeGNUSparse:
		n = b.newNode(0, l.idx)
		n.size, n.data = r.size, r.data
	case tar.TypeSymlink:
		n = b.newNode(fs.ModeSymlink, l.idx)
		n.link = r.link
	case tar.TypeLink:
		n = b.hardlink(l, r.link, name)
		if n == nil {
			return
		}
	case tar.TypeChar:
		n = b.newNode(fs.ModeDevice|fs.ModeCharDevice, l.idx)
	case tar.TypeBlock:
		n = b.newNode(fs.ModeDevice, l.idx)
	case tar.TypeFifo:
		n = b.newNode(fs.ModeNamedPipe, l.idx)
	default:
		b.skip(l, target.Abs(name), fmt.Sprintf("unsupported tar entry type %q", r.typ), "unsupported tar entry type")
		return
	}
	if r.typ != tar.TypeLink {
		b.setMeta(n, r, l.idx)
	}
	if old != nil && old.layer == l.idx && !(old.isDir() && n.isDir()) {
		b.skip(l, target.Abs(name), "duplicate entry in one layer: the later one wins", "")
	}
	parent.kids[base] = n
}

func (b *builder) setMeta(n *node, r *rec, layer int32) {
	typ := n.mode.Type()
	n.mode = typ | fs.FileMode(r.mode)&fs.ModePerm
	if r.mode&0o4000 != 0 {
		n.mode |= fs.ModeSetuid
	}
	if r.mode&0o2000 != 0 {
		n.mode |= fs.ModeSetgid
	}
	if r.mode&0o1000 != 0 {
		n.mode |= fs.ModeSticky
	}
	n.uid, n.gid = uint32(r.uid), uint32(r.gid)
	n.mtime = r.mtime
	n.layer = layer
}

// locate records where a regular file's bytes are. Content in a compressed
// layer is copied to the spill file when small (so that reading it later
// costs one pread instead of decompressing the layer again); large files
// are re-read from the layer on demand. It returns a skip reason for content
// that will not be served.
func (b *builder) locate(l *layer, hdr *tar.Header, tr *tar.Reader, stream positioner, r *rec, buf *[]byte) (string, error) {
	sparse := hdr.Typeflag == tar.TypeGNUSparse
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			sparse = true
		}
	}
	if hdr.Size <= b.opts.SmallFileSize && (sparse || l.comp != plain) && b.spill != nil {
		pos := stream.pos()
		if int64(cap(*buf)) < hdr.Size {
			*buf = make([]byte, hdr.Size)
		}
		data := (*buf)[:hdr.Size]
		if _, err := io.ReadFull(tr, data); err != nil {
			return "", fmt.Errorf("read content: %w", err)
		}
		off, ok, err := b.spill.add(data)
		if err != nil {
			return "", err
		}
		if ok {
			r.data = content{where: inSpill, off: off}
			return "", nil
		}
		if !sparse {
			r.data = content{where: inStream, layer: l.idx, off: pos}
			return "", nil
		}
	}
	switch {
	case sparse:
		// Expanding a sparse file means reading its holes as zeros: a
		// 1 TB file of holes in a 1 kB layer is a classic bomb.
		r.data = content{where: unreadable}
		return fmt.Sprintf("sparse file of %d bytes: content not served", hdr.Size), nil
	case l.comp == plain:
		r.data = content{where: inLayer, layer: l.idx, off: stream.pos()}
	default:
		r.data = content{where: inStream, layer: l.idx, off: stream.pos()}
	}
	return "", nil
}

// hardlink makes a new name for an entry that already exists in the tree as
// built so far (earlier in this layer or in a lower one). Targets are looked
// up exactly, without following symbolic links.
func (b *builder) hardlink(l *layer, linkname, name string) *node {
	tname, bad := cleanName(linkname)
	if bad != "" {
		b.skip(l, target.Abs(name), "hard link target: "+bad, "")
		return nil
	}
	t := lookupExact(b.root, tname)
	switch {
	case t == nil:
		b.skip(l, target.Abs(name), fmt.Sprintf("hard link to %s, which is not in this or a lower layer", target.Abs(tname)), "hard link to an entry not in this or a lower layer")
		return nil
	case t.isDir():
		b.skip(l, target.Abs(name), "hard link to a directory", "")
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
		b.skip(l, target.Abs(name), "malformed whiteout", "")
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
