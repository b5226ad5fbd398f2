package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"syscall"
	"time"

	"github.com/assay-dev/assay/core/target"
)

// tree is the read side of an indexed image: the flattened tree plus what is
// needed to serve file contents.
type tree struct {
	root   *node
	layers []*layer
	spill  *spill
}

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

func (t *tree) lookup(op, name string, follow bool) (*node, error) {
	if !fs.ValidPath(name) {
		return nil, pathErr(op, name, fs.ErrInvalid)
	}
	n, err := resolve(t.root, name, follow)
	if err != nil {
		return nil, pathErr(op, name, err)
	}
	return n, nil
}

// Open implements fs.FS. Symbolic links are followed inside the image root.
func (t *tree) Open(name string) (fs.File, error) { return t.OpenContext(context.Background(), name) }

// OpenContext is Open for a reader that has a deadline: reads of the file
// end with ctx's error once ctx ends. A large file of a compressed layer is
// read by decompressing the layer from its start (or from a cursor before
// the file), which for a file gigabytes deep in a layer is one long Read;
// that skip checks ctx every MiB.
func (t *tree) OpenContext(ctx context.Context, name string) (fs.File, error) {
	n, err := t.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	fi := &fileInfo{name: baseName(name), n: n}
	switch {
	case n.isDir():
		return &dirFile{fi: fi, names: n.sortedNames()}, nil
	case n.mode.IsRegular():
		return t.openContent(ctx, name, fi)
	}
	return nil, pathErr("open", name, fmt.Errorf("%w: %s", target.ErrNotRegular, target.TypeString(n.mode)))
}

func (t *tree) openContent(ctx context.Context, name string, fi *fileInfo) (fs.File, error) {
	n := fi.n
	switch n.data.where {
	case inLayer:
		l := t.layers[n.data.layer]
		return &sectionFile{fi: fi, SectionReader: io.NewSectionReader(l.blob, n.data.off, n.size)}, nil
	case inSpill:
		return &sectionFile{fi: fi, SectionReader: io.NewSectionReader(t.spill.f, n.data.off, n.size)}, nil
	case inStream:
		return &streamFile{ctx: ctx, fi: fi, l: t.layers[n.data.layer], off: n.data.off}, nil
	}
	return nil, pathErr("open", name, errors.New("content not available (sparse file)"))
}

// Stat implements fs.StatFS, following symbolic links inside the root.
func (t *tree) Stat(name string) (fs.FileInfo, error) {
	n, err := t.lookup("stat", name, true)
	if err != nil {
		return nil, err
	}
	return &fileInfo{name: baseName(name), n: n}, nil
}

// Lstat implements fs.ReadLinkFS: the last element is not followed.
func (t *tree) Lstat(name string) (fs.FileInfo, error) {
	n, err := t.lookup("lstat", name, false)
	if err != nil {
		return nil, err
	}
	return &fileInfo{name: baseName(name), n: n}, nil
}

// ReadLink implements fs.ReadLinkFS. The link text is returned as stored.
func (t *tree) ReadLink(name string) (string, error) {
	n, err := t.lookup("readlink", name, false)
	if err != nil {
		return "", err
	}
	if !n.isSymlink() {
		return "", pathErr("readlink", name, syscall.EINVAL)
	}
	return n.link, nil
}

// ReadDir implements fs.ReadDirFS, sorted by name.
func (t *tree) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := t.lookup("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, pathErr("readdir", name, syscall.ENOTDIR)
	}
	names := n.sortedNames()
	out := make([]fs.DirEntry, len(names))
	for i, k := range names {
		out[i] = fs.FileInfoToDirEntry(&fileInfo{name: k, n: n.kids[k]})
	}
	return out, nil
}

func baseName(name string) string {
	if name == "." {
		return "/"
	}
	return path.Base(name)
}

// fileInfo describes a node; Sys returns *target.Stat.
type fileInfo struct {
	name string
	n    *node
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.n.size }
func (fi *fileInfo) Mode() fs.FileMode  { return fi.n.mode }
func (fi *fileInfo) ModTime() time.Time { return time.Unix(0, fi.n.mtime) }
func (fi *fileInfo) IsDir() bool        { return fi.n.isDir() }
func (fi *fileInfo) Sys() any {
	return &target.Stat{UID: fi.n.uid, GID: fi.n.gid, Ino: fi.n.ino, Nlink: uint64(fi.n.nlink)}
}

// dirFile is an open directory.
type dirFile struct {
	fi    *fileInfo
	names []string
	next  int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.fi, nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, pathErr("read", d.fi.name, syscall.EISDIR)
}
func (d *dirFile) Close() error { return nil }

func (d *dirFile) ReadDir(count int) ([]fs.DirEntry, error) {
	rest := d.names[d.next:]
	if count > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	if count > 0 && count < len(rest) {
		rest = rest[:count]
	}
	d.next += len(rest)
	out := make([]fs.DirEntry, len(rest))
	for i, k := range rest {
		c := d.fi.n.kids[k]
		if c == nil { // cannot happen: the tree is immutable once built
			c = &node{}
		}
		out[i] = fs.FileInfoToDirEntry(&fileInfo{name: k, n: c})
	}
	return out, nil
}

// sectionFile is a file read in place: from an uncompressed layer or from the
// spill file. It supports ReadAt and Seek.
type sectionFile struct {
	fi *fileInfo
	*io.SectionReader
}

func (f *sectionFile) Stat() (fs.FileInfo, error) { return f.fi, nil }
func (f *sectionFile) Close() error               { return nil }

// streamFile is a large file of a compressed layer, read sequentially from a
// positioned decompressor that goes back to the layer when closed.
type streamFile struct {
	ctx  context.Context // of the reader: ends the skip to the file and each read
	fi   *fileInfo
	l    *layer
	off  int64 // start of the content in the decompressed stream
	read int64
	cur  *cursor
	err  error
}

func (f *streamFile) Stat() (fs.FileInfo, error) { return f.fi, nil }

func (f *streamFile) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	left := f.fi.n.size - f.read
	if left <= 0 {
		return 0, io.EOF
	}
	if f.cur == nil {
		f.cur, f.err = f.l.cursorAt(f.ctx, f.off+f.read)
		if f.err != nil {
			return 0, f.err
		}
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := f.cur.Read(p)
	f.read += int64(n)
	if err == io.EOF && f.read < f.fi.n.size {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && err != io.EOF {
		f.err = err
		f.cur.rc.Close()
		f.cur = nil
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

func (f *streamFile) Close() error {
	if f.cur != nil {
		f.l.release(f.cur)
		f.cur = nil
	}
	f.err = fs.ErrClosed
	return nil
}
