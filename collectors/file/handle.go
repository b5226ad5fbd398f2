package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"golang.org/x/sys/unix"

	"github.com/assay-dev/assay/core/target"
)

// handle reaches one directory entry, whichever walker found it.
type handle interface {
	// lstat describes the entry itself, not what a link points to.
	lstat() (fileMeta, error)
	// open opens a regular file for reading and describes it from the open
	// descriptor (fstat), so that what is read is what was checked.
	open() (openFile, fileMeta, error)
	readlink() (string, error)
}

// openFile is an open regular file.
type openFile interface {
	io.Reader
	Close() error
	// restat describes the file again, to notice changes during the read.
	restat() (fileMeta, error)
}

// ---- io/fs handles (image targets, followed links) ----

type fsHandle struct {
	t    target.Target
	name string          // target name
	ctx  context.Context // the collector's, for targets that take one (nil: none)
}

// contextOpener is a target whose file reads can end with a context: an
// image, where reaching a file deep in a compressed layer is one long read.
type contextOpener interface {
	OpenContext(ctx context.Context, name string) (fs.File, error)
}

func (h fsHandle) lstat() (fileMeta, error) {
	fi, err := h.t.Lstat(h.name)
	if err != nil {
		return fileMeta{}, err
	}
	return metaOf(fi), nil
}

func (h fsHandle) open() (openFile, fileMeta, error) {
	var f fs.File
	var err error
	if co, ok := h.t.(contextOpener); ok && h.ctx != nil {
		f, err = co.OpenContext(h.ctx, h.name)
	} else {
		f, err = h.t.Open(h.name)
	}
	if err != nil {
		return nil, fileMeta{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fileMeta{}, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fileMeta{}, fmt.Errorf("%w: %s", target.ErrNotRegular, target.TypeString(fi.Mode()))
	}
	return &fsFile{File: f}, metaOf(fi), nil
}

func (h fsHandle) readlink() (string, error) { return h.t.ReadLink(h.name) }

type fsFile struct{ fs.File }

func (f *fsFile) restat() (fileMeta, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileMeta{}, err
	}
	return metaOf(fi), nil
}

func metaOf(fi fs.FileInfo) fileMeta {
	m := fileMeta{size: fi.Size(), mode: fi.Mode(), mtime: fi.ModTime(), blocks: -1}
	if st, ok := target.StatOf(fi); ok {
		m.uid, m.gid, m.dev, m.ino, m.hasOwner = st.UID, st.GID, st.Dev, st.Ino, true
	}
	if b, ok := fi.Sys().(interface{ Blocks() int64 }); ok {
		m.blocks = b.Blocks()
	}
	return m
}

// ---- *at(2) handles (host and --root targets) ----

// atHandle is an entry of an open directory. dirfd is only valid while the
// walker visits the entry.
type atHandle struct {
	dirfd int
	name  string
	// dirDev is the directory's device: a file on another is a mount
	// point, checked for procfs. t and dirRel reach the file through the
	// target then.
	dirDev uint64
	t      target.Target
	dirRel string
}

func (h atHandle) lstat() (fileMeta, error) {
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstatat(h.dirfd, h.name, &st, unix.AT_SYMLINK_NOFOLLOW) }); err != nil {
		return fileMeta{}, err
	}
	return metaOfStat(&st), nil
}

func (h atHandle) open() (openFile, fileMeta, error) {
	// O_NOFOLLOW: a link swapped in since readdir is refused, not followed.
	// O_NONBLOCK: a FIFO swapped in cannot block the open; fstat then
	// refuses it unread.
	var fd int
	err := ignoringEINTR(func() error {
		var err error
		fd, err = unix.Openat(h.dirfd, h.name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
		return err
	})
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			err = fmt.Errorf("%w: symlink", target.ErrNotRegular)
		}
		return nil, fileMeta{}, err
	}
	f := &rawFile{fd: fd}
	m, err := f.restat()
	if err != nil {
		f.Close()
		return nil, fileMeta{}, err
	}
	if m.dev != h.dirDev && h.t != nil && onProcFS(fd) {
		// A file of procfs mounted onto this one: the target decides.
		f.Close()
		rel := h.name
		if h.dirRel != "." {
			rel = h.dirRel + "/" + h.name
		}
		return fsHandle{t: h.t, name: rel}.open()
	}
	if !m.mode.IsRegular() {
		f.Close()
		return nil, fileMeta{}, fmt.Errorf("%w: %s", target.ErrNotRegular, target.TypeString(m.mode))
	}
	return f, m, nil
}

func (h atHandle) readlink() (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Readlinkat(h.dirfd, h.name, buf)
		if err != nil {
			return "", err
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, 2*len(buf))
	}
}

// rawFile reads a descriptor with plain read(2): regular files gain nothing
// from the runtime poller, and registering each one would cost a system call.
type rawFile struct{ fd int }

func (f *rawFile) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(f.fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 && len(p) > 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *rawFile) Close() error { return unix.Close(f.fd) }

func (f *rawFile) restat() (fileMeta, error) {
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstat(f.fd, &st) }); err != nil {
		return fileMeta{}, err
	}
	return metaOfStat(&st), nil
}

func metaOfStat(st *unix.Stat_t) fileMeta {
	return fileMeta{
		size: st.Size, mode: target.ModeOf(st.Mode), uid: st.Uid, gid: st.Gid,
		mtime: time.Unix(st.Mtim.Unix()), dev: st.Dev, ino: st.Ino, blocks: st.Blocks, hasOwner: true,
	}
}

func ignoringEINTR(f func() error) error {
	for {
		err := f()
		if err != unix.EINTR {
			return err
		}
	}
}
