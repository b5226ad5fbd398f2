package ssh

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/targets"
)

// ErrConnectionLost wraps every error of a target whose connection ended
// before the scan did: the server dropped it, or it stopped answering and
// assay closed it.
var ErrConnectionLost = errors.New("connection lost")

// Target is a remote machine's filesystem read over SFTP. Names resolve on
// the server, from its "/": links there stay inside the target as in a
// chroot, because the remote root is the target's root. Only directories
// and regular files are opened, read-only; anything else is refused
// (target.ErrNotRegular) from its attributes, without being opened.
type Target struct {
	addr        Address
	client      *ssh.Client
	sftp        *sftp.Client
	readTimeout time.Duration
	logger      *slog.Logger
	allowProc   bool

	mu     sync.Mutex
	err    error // why the connection ended early, once it has
	closed bool
}

func newTarget(addr Address, client *ssh.Client, sf *sftp.Client, readTimeout time.Duration, logger *slog.Logger) *Target {
	t := &Target{addr: addr, client: client, sftp: sf, readTimeout: readTimeout, logger: logger}
	go func() {
		err := client.Wait()
		t.mu.Lock()
		closed := t.closed
		t.mu.Unlock()
		if !closed {
			if err == nil {
				err = io.EOF
			}
			t.fail(fmt.Errorf("the server closed the connection: %v", err))
		}
	}()
	return t
}

// Info implements target.Target: kind ssh, named by the canonical URL.
func (t *Target) Info() target.Info {
	return target.Info{Kind: target.KindSSH, Name: t.addr.String()}
}

// Address is where the target is.
func (t *Target) Address() Address { return t.addr }

// Err is why the connection ended before the scan did (wrapping
// ErrConnectionLost), or nil. Reads after that fail at once with it.
func (t *Target) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// fail records the first reason the connection ended and closes it, which
// ends every request still waiting for an answer.
func (t *Target) fail(reason error) {
	t.mu.Lock()
	if t.err != nil || t.closed {
		t.mu.Unlock()
		return
	}
	t.err = fmt.Errorf("%s: %w: %w", t.addr, ErrConnectionLost, reason)
	t.mu.Unlock()
	t.logger.Warn("ssh target lost", "target", t.addr.String(), "reason", reason)
	t.client.Close()
}

// Close implements target.Target.
func (t *Target) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	t.sftp.Close()
	return t.client.Close()
}

// do runs one SFTP operation under the read timeout. A server that does
// not answer in time has its connection closed: the target is lost, and
// the operation and all later ones fail with the reason.
func (t *Target) do(op, name string, f func() error) error {
	if err := t.Err(); err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	timer := time.AfterFunc(t.readTimeout, func() {
		t.fail(fmt.Errorf("no answer within %s to %s %s", t.readTimeout, op, target.Abs(name)))
	})
	err := f()
	timer.Stop()
	if lost := t.Err(); lost != nil && err != nil {
		return &fs.PathError{Op: op, Path: name, Err: lost}
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	return nil
}

// remote turns a target name into the server's path.
func remote(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return target.Abs(name), nil
}

// Stat implements fs.StatFS; the server follows links.
func (t *Target) Stat(name string) (fs.FileInfo, error) {
	p, err := remote("stat", name)
	if err != nil {
		return nil, err
	}
	var fi os.FileInfo
	if err := t.do("stat", name, func() (err error) { fi, err = t.sftp.Stat(p); return err }); err != nil {
		return nil, err
	}
	return wrapInfo(fi, path.Base(name)), nil
}

// Lstat implements fs.ReadLinkFS.
func (t *Target) Lstat(name string) (fs.FileInfo, error) {
	p, err := remote("lstat", name)
	if err != nil {
		return nil, err
	}
	var fi os.FileInfo
	if err := t.do("lstat", name, func() (err error) { fi, err = t.sftp.Lstat(p); return err }); err != nil {
		return nil, err
	}
	return wrapInfo(fi, path.Base(name)), nil
}

// ReadLink implements fs.ReadLinkFS: the link text as stored.
func (t *Target) ReadLink(name string) (string, error) {
	p, err := remote("readlink", name)
	if err != nil {
		return "", err
	}
	if err := t.checkProc("readlink", name, p); err != nil {
		return "", err
	}
	var link string
	err = t.do("readlink", name, func() (err error) { link, err = t.sftp.ReadLink(p); return err })
	return link, err
}

// checkProc refuses what a local target refuses on procfs
// (targets.ProcRefused): the processes' secrets and memory, unless
// allowed, and the files whose reading blocks or acts. The server
// resolves the path p (the link itself, for readlink: its directory), so
// no link elsewhere leads around the rules; SFTP cannot tell a file
// system's type, so procfs is the one at /proc.
func (t *Target) checkProc(op, name, p string) error {
	dir, leaf := p, ""
	if op == "readlink" {
		dir, leaf = path.Dir(p), path.Base(p)
	}
	var real string
	if err := t.do("realpath", name, func() (err error) { real, err = t.sftp.RealPath(dir); return err }); err != nil {
		if lost := t.Err(); lost != nil {
			return &fs.PathError{Op: op, Path: name, Err: lost}
		}
		return nil // nothing there to read: the operation itself says so
	}
	if leaf != "" {
		real = path.Join(real, leaf)
	}
	rel, ok := strings.CutPrefix(path.Clean(real), "/proc")
	if !ok || rel != "" && rel[0] != '/' {
		return nil
	}
	var parts []string
	if rel = strings.Trim(rel, "/"); rel != "" {
		parts = strings.Split(rel, "/")
	}
	if err := targets.ProcRefused(parts, t.allowProc); err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	return nil
}

// ReadDir implements fs.ReadDirFS, sorted by name; entries describe the
// entries themselves, links not followed.
func (t *Target) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := remote("readdir", name)
	if err != nil {
		return nil, err
	}
	var infos []os.FileInfo
	if err := t.do("readdir", name, func() (err error) { infos, err = t.sftp.ReadDir(p); return err }); err != nil {
		return nil, err
	}
	out := make([]fs.DirEntry, len(infos))
	for i, fi := range infos {
		out[i] = fs.FileInfoToDirEntry(wrapInfo(fi, fi.Name()))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// Open implements fs.FS: a directory, or a regular file opened read-only.
// Anything else is refused from its attributes, unopened: opening a FIFO
// would block the server's SFTP process.
func (t *Target) Open(name string) (fs.File, error) {
	fi, err := t.Stat(name)
	if err != nil {
		if pe, ok := err.(*fs.PathError); ok {
			pe.Op = "open"
		}
		return nil, err
	}
	switch {
	case fi.IsDir():
		return &dirFile{t: t, name: name, info: fi}, nil
	case !fi.Mode().IsRegular():
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: %s", target.ErrNotRegular, target.TypeString(fi.Mode()))}
	}
	p, _ := remote("open", name)
	if err := t.checkProc("open", name, p); err != nil {
		return nil, err
	}
	var f *sftp.File
	if err := t.do("open", name, func() (err error) { f, err = t.sftp.OpenFile(p, os.O_RDONLY); return err }); err != nil {
		return nil, err
	}
	rf := &file{t: t, f: f, name: name}
	// What was opened may not be what was looked at: check it again.
	st, err := rf.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: %s", target.ErrNotRegular, target.TypeString(st.Mode()))}
	}
	if err != nil {
		rf.Close()
		return nil, err
	}
	return rf, nil
}

// file is a regular file open for reading.
type file struct {
	t    *Target
	f    *sftp.File
	name string
}

func (f *file) Read(b []byte) (int, error) {
	var n int
	var rerr error
	err := f.t.do("read", f.name, func() error {
		n, rerr = f.f.Read(b)
		if rerr == io.EOF {
			return nil
		}
		return rerr
	})
	if err != nil {
		return n, err
	}
	return n, rerr
}

func (f *file) Stat() (fs.FileInfo, error) {
	var fi os.FileInfo
	if err := f.t.do("stat", f.name, func() (err error) { fi, err = f.f.Stat(); return err }); err != nil {
		return nil, err
	}
	return wrapInfo(fi, path.Base(f.name)), nil
}

func (f *file) Close() error {
	if f.t.Err() != nil {
		return nil // the connection is gone, and the handle with it
	}
	return f.t.do("close", f.name, f.f.Close)
}

// dirFile is an open directory; its entries are listed on the first
// ReadDir.
type dirFile struct {
	t       *Target
	name    string
	info    fs.FileInfo
	entries []fs.DirEntry
	read    bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}

func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.read {
		entries, err := d.t.ReadDir(d.name)
		if err != nil {
			return nil, err
		}
		d.entries, d.read = entries, true
	}
	if n <= 0 {
		out := d.entries
		d.entries = nil
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	out := d.entries[:n]
	d.entries = d.entries[n:]
	return out, nil
}

// fileInfo gives SFTP attributes the io/fs name and the ownership that
// target.StatOf reads. SFTP (version 3) carries no device, inode or link
// count, and times in whole seconds.
type fileInfo struct {
	fs.FileInfo
	name string
	st   target.Stat
}

func wrapInfo(fi os.FileInfo, name string) *fileInfo {
	if name == "." || name == "" {
		name = "/"
	}
	w := &fileInfo{FileInfo: fi, name: name}
	if s, ok := fi.Sys().(*sftp.FileStat); ok {
		w.st = target.Stat{UID: s.UID, GID: s.GID, Nlink: 1, Atime: time.Unix(int64(s.Atime), 0)}
	}
	return w
}

func (fi *fileInfo) Name() string { return fi.name }
func (fi *fileInfo) Sys() any     { return &fi.st }
