package file

import (
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// fdBudget bounds the directory descriptors a walk keeps open. Deeper
// ancestors are closed and reopened (checked by inode) when the walk comes
// back to them, so nesting 10,000 deep costs neither the descriptor limit
// nor the stack.
const fdBudget = 128

// atFrame is a directory on the walk's path from the root.
type atFrame struct {
	fd       int       // -1 while closed
	owner    io.Closer // owns fd when it came from the target (root, links)
	name     string    // entry name in the parent
	rel, abs string
	depth    int // depth of its entries
	dev, ino uint64
	linked   bool // reached through a symbolic link: reopen through the target
	subdirs  []subdir
	next     int
}

type subdir struct {
	name   string
	linked bool
}

type rootFiler interface{ RootFile() *os.File }

// walkAt walks a directory of a host or --root target with openat(2) and
// getdents(2) relative to each directory: no path is resolved twice, no link
// is followed (O_NOFOLLOW), and entries are streamed, not listed whole.
//
// Nothing of procfs is read this way: a directory on procfs (found at
// every mount boundary) is walked through the target, which refuses what
// processes keep to themselves unless the operator allows /proc.
func (r *run) walkAt(_ rootFiler, root, rel string) {
	f, err := r.t.Open(rel)
	if err != nil {
		r.skip(root, describe(err))
		return
	}
	r.walkAtFile(f, root, rel)
}

// openRootDirAt opens the search root rel as a directory with one
// openat2(2) confined to the target root (RESOLVE_IN_ROOT: links resolve
// inside it, as the target's own Open does). O_DIRECTORY fails before
// anything that is not a directory is opened, so a FIFO never blocks. The
// target's Stat then Open cost three confined lookups, each checked
// through /proc; thousands of searches of one small directory each (an
// imported MIG investigation) made that most of their collection time.
// Any error but "does not exist" sends the caller to that general path,
// which reports it as before.
func openRootDirAt(d rootFiler, root, rel string) (*os.File, error) {
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC | unix.O_NOCTTY,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	var fd int
	err := ignoringEINTR(func() error {
		var err error
		fd, err = unix.Openat2(int(d.RootFile().Fd()), rel, &how)
		return err
	})
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), root), nil
}

// walkAtFile walks the open directory f, the search root.
func (r *run) walkAtFile(f fs.File, root, rel string) {
	fder, ok := f.(interface{ Fd() uintptr })
	if !ok {
		f.Close()
		fi, err := r.t.Stat(rel)
		if err == nil {
			r.walkFS(root, rel, fi)
		}
		return
	}
	top := &atFrame{fd: int(fder.Fd()), owner: f, rel: rel, abs: root, depth: 1}
	if err := r.fstatFrame(top); err != nil {
		f.Close()
		r.skip(root, err)
		return
	}
	if onProcFS(top.fd) {
		f.Close()
		r.walkThroughTarget(root, rel, 1)
		return
	}
	buf := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(buf)
	w := &atWalk{run: r, rootDev: top.dev, buf: *buf, open: 1}
	w.stack = []*atFrame{top}
	w.readDir(top)
	w.loop()
}

// direntBufs recycles getdents buffers: an investigation of thousands of
// searches walks thousands of small trees, and a fresh 64 KiB buffer per
// walk was most of what it allocated. Entry names are copied out of the
// buffer, so none outlives the walk.
var direntBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

type atWalk struct {
	*run
	rootDev uint64
	buf     []byte
	stack   []*atFrame
	open    int // frames with an open fd
	low     int // frames below this index (but the root) are closed
}

func (w *atWalk) loop() {
	defer func() {
		for _, f := range w.stack {
			w.closeFrame(f)
		}
	}()
	for len(w.stack) > 0 {
		if w.ctx.Err() != nil {
			return
		}
		top := w.stack[len(w.stack)-1]
		if top.next >= len(top.subdirs) {
			w.closeFrame(top)
			w.stack = w.stack[:len(w.stack)-1]
			if w.low > len(w.stack) {
				w.low = len(w.stack)
			}
			continue
		}
		sd := top.subdirs[top.next]
		top.next++
		if err := w.reopen(); err != nil {
			w.skip(top.abs, fmt.Errorf("reopen directory: %w", err))
			top.next = len(top.subdirs)
			continue
		}
		child, err := w.openChild(top, sd)
		if top.next == len(top.subdirs) && len(w.stack) > 1 {
			w.closeFrame(top) // its last subdirectory is open: it is not needed again
		}
		if err != nil {
			w.skip(joinAbs(top.abs, sd.name), describe(err))
			continue
		}
		if w.s.oneFS && child.dev != w.rootDev {
			w.closeFrame(child)
			continue
		}
		if child.linked && w.isAncestor(child) {
			w.closeFrame(child)
			w.skip(child.abs, errLoop)
			continue
		}
		if (child.linked || child.dev != top.dev) && onProcFS(child.fd) {
			w.closeFrame(child)
			w.walkThroughTarget(child.abs, child.rel, child.depth)
			continue
		}
		w.stack = append(w.stack, child)
		w.enforceBudget()
		w.readDir(child)
	}
}

func (w *atWalk) isAncestor(c *atFrame) bool {
	for _, a := range w.stack {
		if a.dev == c.dev && a.ino == c.ino {
			return true
		}
	}
	return false
}

func (w *atWalk) closeFrame(f *atFrame) {
	if f.fd < 0 {
		return
	}
	if f.owner != nil {
		f.owner.Close()
		f.owner = nil
	} else {
		unix.Close(f.fd)
	}
	f.fd = -1
	w.open--
}

// enforceBudget closes the shallowest open ancestors (never the root) while
// too many descriptors are open.
func (w *atWalk) enforceBudget() {
	if w.low < 1 {
		w.low = 1
	}
	for w.open > fdBudget && w.low < len(w.stack)-1 {
		w.closeFrame(w.stack[w.low])
		w.low++
	}
}

// reopen makes sure the top frame's directory is open, reopening closed
// frames from the nearest open ancestor down.
func (w *atWalk) reopen() error {
	n := len(w.stack)
	if w.stack[n-1].fd >= 0 {
		return nil
	}
	j := n - 1
	for j > 0 && w.stack[j].fd < 0 {
		j--
	}
	for k := j + 1; k < n; k++ {
		f := w.stack[k]
		again, err := w.openChild(w.stack[k-1], subdir{name: f.name, linked: f.linked})
		if err != nil {
			return err
		}
		if again.dev != f.dev || again.ino != f.ino {
			w.closeFrame(again)
			return fmt.Errorf("%s was replaced during the scan", f.abs)
		}
		f.fd, f.owner = again.fd, again.owner
		if k-1 > j {
			w.closeFrame(w.stack[k-1])
		}
	}
	return nil
}

func (w *atWalk) openChild(parent *atFrame, sd subdir) (*atFrame, error) {
	c := &atFrame{name: sd.name, abs: joinAbs(parent.abs, sd.name), depth: parent.depth + 1, linked: sd.linked}
	if parent.rel == "." {
		c.rel = sd.name
	} else {
		c.rel = parent.rel + "/" + sd.name
	}
	if sd.linked {
		f, err := w.t.Open(c.rel) // resolved inside the target root
		if err != nil {
			return nil, err
		}
		fder, ok := f.(interface{ Fd() uintptr })
		if !ok {
			f.Close()
			return nil, fmt.Errorf("no descriptor for %s", c.abs)
		}
		c.fd, c.owner = int(fder.Fd()), f
	} else {
		err := ignoringEINTR(func() error {
			var err error
			c.fd, err = unix.Openat(parent.fd, sd.name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			return err
		})
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: c.abs, Err: err}
		}
	}
	w.open++
	if err := w.fstatFrame(c); err != nil {
		w.closeFrame(c)
		return nil, err
	}
	return c, nil
}

func (r *run) fstatFrame(f *atFrame) error {
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstat(f.fd, &st) }); err != nil {
		return &fs.PathError{Op: "stat", Path: f.abs, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return &fs.PathError{Op: "open", Path: f.abs, Err: unix.ENOTDIR}
	}
	f.dev, f.ino = st.Dev, st.Ino
	return nil
}

// readDir streams a directory's entries: files are examined as they come,
// subdirectories are remembered (names only) for the walk to enter.
func (w *atWalk) readDir(f *atFrame) {
	for {
		n, err := unix.Getdents(f.fd, w.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			w.skip(f.abs, &fs.PathError{Op: "readdir", Path: f.abs, Err: err})
			return
		}
		if n <= 0 {
			return
		}
		b := w.buf[:n]
		for len(b) >= 19 {
			// A directory of millions of entries is one readDir: stop
			// between entries when time is up.
			if w.ctx.Err() != nil {
				return
			}
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				w.skip(f.abs, fmt.Errorf("readdir: malformed directory entry"))
				return
			}
			dtype := b[18]
			nameb := b[19:reclen]
			for i, c := range nameb {
				if c == 0 {
					nameb = nameb[:i]
					break
				}
			}
			b = b[reclen:]
			if len(nameb) == 0 || (nameb[0] == '.' && (len(nameb) == 1 || (len(nameb) == 2 && nameb[1] == '.'))) {
				continue
			}
			w.entry(f, string(nameb), dtype)
		}
	}
}

func (w *atWalk) entry(f *atFrame, name string, dtype byte) {
	h := atHandle{dirfd: f.fd, name: name, dirDev: f.dev, t: w.t, dirRel: f.rel}
	if dtype == unix.DT_UNKNOWN {
		m, err := h.lstat()
		if err != nil {
			w.skip(joinAbs(f.abs, name), describe(err))
			return
		}
		dtype = dtypeOf(m.mode)
	}
	switch dtype {
	case unix.DT_DIR:
		if w.descend(joinAbs(f.abs, name), f.depth+1) {
			f.subdirs = append(f.subdirs, subdir{name: name})
		}
		return
	case unix.DT_LNK:
		if w.s.followSymlinks {
			rel := name
			if f.rel != "." {
				rel = f.rel + "/" + name
			}
			if fi, err := w.t.Stat(rel); err == nil && fi.IsDir() {
				if w.descend(joinAbs(f.abs, name), f.depth+1) {
					f.subdirs = append(f.subdirs, subdir{name: name, linked: true})
				}
				return
			}
		}
		w.visit(f.abs, name, fs.ModeSymlink, f.depth, h, false)
	case unix.DT_REG:
		w.visit(f.abs, name, 0, f.depth, h, false)
	case unix.DT_FIFO:
		w.visit(f.abs, name, fs.ModeNamedPipe, f.depth, h, false)
	case unix.DT_SOCK:
		w.visit(f.abs, name, fs.ModeSocket, f.depth, h, false)
	case unix.DT_CHR:
		w.visit(f.abs, name, fs.ModeDevice|fs.ModeCharDevice, f.depth, h, false)
	case unix.DT_BLK:
		w.visit(f.abs, name, fs.ModeDevice, f.depth, h, false)
	default:
		w.visit(f.abs, name, fs.ModeIrregular, f.depth, h, false)
	}
}

func dtypeOf(m fs.FileMode) byte {
	switch {
	case m.IsDir():
		return unix.DT_DIR
	case m.IsRegular():
		return unix.DT_REG
	case m&fs.ModeSymlink != 0:
		return unix.DT_LNK
	case m&fs.ModeNamedPipe != 0:
		return unix.DT_FIFO
	case m&fs.ModeSocket != 0:
		return unix.DT_SOCK
	case m&fs.ModeCharDevice != 0:
		return unix.DT_CHR
	case m&fs.ModeDevice != 0:
		return unix.DT_BLK
	}
	return unix.DT_UNKNOWN
}

// onProcFS says whether the open directory or file fd is on procfs (or
// cannot be told: the caller then goes through the target, which knows).
func onProcFS(fd int) bool {
	var sfs unix.Statfs_t
	if err := ignoringEINTR(func() error { return unix.Fstatfs(fd, &sfs) }); err != nil {
		return true
	}
	return sfs.Type == unix.PROC_SUPER_MAGIC
}

// walkThroughTarget walks a directory of procfs, whose entries are at
// depth, through the target's io/fs interfaces: the target decides what of
// it may be read.
func (r *run) walkThroughTarget(abs, rel string, depth int) {
	fi, err := r.t.Stat(rel)
	if err != nil {
		r.skip(abs, describe(err))
		return
	}
	r.walkFSAt(abs, rel, fi, depth)
}
