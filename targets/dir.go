package targets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"time"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/assay-dev/assay/core/target"
)

// Dir is a target rooted at a directory of the scanner's filesystem: "/" for
// the host, or an unpacked root filesystem. Resolution happens in the kernel
// where it can (openat2 with RESOLVE_IN_ROOT) and in user space otherwise, in
// both cases as in a chroot.
//
// Files of a live procfs (the host's /proc, or one mounted in the tree) that
// hold what processes keep to themselves (environment, command line,
// memory, open files) or the kernel's memory are not read unless the
// operator allows it (AllowProc): Open and ReadLink refuse them with an
// error wrapping ErrProcRefused. docs/security.md lists them.
type Dir struct {
	root *os.File
	info target.Info
	procState
}

// Host returns the target for the running machine.
func Host(opts ...Option) (*Dir, error) { return open("/", target.KindHost, opts) }

// OpenDir returns a target rooted at dir, an unpacked root filesystem.
func OpenDir(dir string, opts ...Option) (*Dir, error) { return open(dir, target.KindRoot, opts) }

func open(dir string, kind target.Kind, opts []Option) (*Dir, error) {
	f, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open target root: %w", err)
	}
	d := &Dir{root: f, info: target.Info{Kind: kind, Name: dir}}
	for _, o := range opts {
		o(d)
	}
	return d, nil
}

// Info implements target.Target.
func (d *Dir) Info() target.Info { return d.info }

// Close implements target.Target.
func (d *Dir) Close() error { return d.root.Close() }

// RootPath is the directory on the scanner's filesystem that holds the target
// root. Collectors that need raw speed (the file walker) may use it with
// openat-style calls that never follow links out of the root; everything else
// goes through the fs interfaces. Such callers must read nothing of procfs
// (statfs f_type PROC_SUPER_MAGIC) through it, but go through Open, which
// applies the procfs rules.
func (d *Dir) RootPath() string { return d.info.Name }

// RootFile is an O_PATH handle on the target root, for *at(2) calls, with
// RootPath's proviso: nothing of procfs is read through it.
func (d *Dir) RootFile() *os.File { return d.root }

func (d *Dir) handle(op, name string) (*os.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	h, err := pathrs.OpenatInRoot(d.root, name)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: unwrapPathErr(err)}
	}
	return h, nil
}

// Open implements fs.FS. Symbolic links are followed inside the root.
func (d *Dir) Open(name string) (fs.File, error) {
	h, err := d.handle("open", name)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if err := d.checkProc("open", name, h, ""); err != nil {
		return nil, err
	}
	flags := unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		flags |= unix.O_DIRECTORY
	default:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: %s", target.ErrNotRegular, target.TypeString(target.ModeOf(st.Mode)))}
	}
	f, err := pathrs.Reopen(h, flags)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPathErr(err)}
	}
	return &dirFile{File: f, name: name}, nil
}

// Stat implements fs.StatFS, following symbolic links inside the root.
func (d *Dir) Stat(name string) (fs.FileInfo, error) {
	h, err := d.handle("stat", name)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return newFileInfo(path.Base(name), &st), nil
}

// Lstat implements fs.ReadLinkFS: the parent is resolved inside the root, the
// last element is not followed.
func (d *Dir) Lstat(name string) (fs.FileInfo, error) {
	parent, base, err := d.parent("lstat", name)
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	var st unix.Stat_t
	if err := unix.Fstatat(int(parent.Fd()), base, &st, unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH); err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	return newFileInfo(path.Base(name), &st), nil
}

// ReadLink implements fs.ReadLinkFS. The link text is returned as stored; it
// is the caller's business to resolve it (through this target).
func (d *Dir) ReadLink(name string) (string, error) {
	parent, base, err := d.parent("readlink", name)
	if err != nil {
		return "", err
	}
	defer parent.Close()
	if err := d.checkProc("readlink", name, parent, base); err != nil {
		return "", err
	}
	buf := make([]byte, 256)
	for {
		n, err := unix.Readlinkat(int(parent.Fd()), base, buf)
		if err != nil {
			return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, 2*len(buf))
	}
}

// ReadDir implements fs.ReadDirFS, sorted by name as io/fs requires.
func (d *Dir) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := d.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	df, ok := f.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return sortedReadDir(df)
}

// parent opens the directory holding name (resolved inside the root) and
// returns it with name's last element. For the root itself it returns the root
// and "" (used with AT_EMPTY_PATH).
func (d *Dir) parent(op, name string) (*os.File, string, error) {
	if !fs.ValidPath(name) {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		h, err := d.handle(op, ".")
		return h, "", err
	}
	h, err := d.handle(op, path.Dir(name))
	if err != nil {
		return nil, "", err
	}
	return h, path.Base(name), nil
}

// dirFile makes ReadDir return entries whose Info comes from Lstat, as io/fs
// expects, and gives Stat the io/fs name.
type dirFile struct {
	*os.File
	name string
}

func (f *dirFile) Stat() (fs.FileInfo, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: f.name, Err: err}
	}
	return newFileInfo(path.Base(f.name), &st), nil
}

func (f *dirFile) ReadDir(n int) ([]fs.DirEntry, error) { return f.File.ReadDir(n) }

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type fileInfo struct {
	name string
	st   unix.Stat_t
}

func newFileInfo(name string, st *unix.Stat_t) *fileInfo {
	if name == "." || name == "/" {
		name = "/"
	}
	return &fileInfo{name: name, st: *st}
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.st.Size }
func (fi *fileInfo) Mode() fs.FileMode  { return target.ModeOf(fi.st.Mode) }
func (fi *fileInfo) ModTime() time.Time { return time.Unix(fi.st.Mtim.Unix()) }
func (fi *fileInfo) IsDir() bool        { return fi.st.Mode&unix.S_IFMT == unix.S_IFDIR }
func (fi *fileInfo) Sys() any {
	return &target.Stat{
		UID: fi.st.Uid, GID: fi.st.Gid, Dev: fi.st.Dev, Ino: fi.st.Ino, Nlink: uint64(fi.st.Nlink),
		Atime: time.Unix(fi.st.Atim.Unix()), Ctime: time.Unix(fi.st.Ctim.Unix()),
	}
}
