package target

import (
	"archive/tar"
	"io/fs"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Stat is the ownership and timing part of a file's metadata that io/fs does
// not model. Image targets fill it from tar headers, host and root targets from
// stat(2).
type Stat struct {
	UID, GID uint32
	Dev      uint64 // device of the filesystem holding the file (0 in images)
	Ino      uint64
	Nlink    uint64
	Atime    time.Time
	Ctime    time.Time
}

// StatOf extracts Stat from a FileInfo returned by any target. ok is false when
// the FileInfo carries no such data.
func StatOf(fi fs.FileInfo) (st Stat, ok bool) {
	switch s := fi.Sys().(type) {
	case *syscall.Stat_t:
		return Stat{
			UID: s.Uid, GID: s.Gid, Dev: uint64(s.Dev), Ino: s.Ino, Nlink: uint64(s.Nlink),
			Atime: time.Unix(s.Atim.Unix()), Ctime: time.Unix(s.Ctim.Unix()),
		}, true
	case *tar.Header:
		return Stat{UID: uint32(s.Uid), GID: uint32(s.Gid), Nlink: 1, Atime: s.AccessTime, Ctime: s.ChangeTime}, true
	case *Stat:
		return *s, true
	}
	return Stat{}, false
}

// ModeOf converts a stat(2) mode to an fs.FileMode, as package os does;
// collectors that stat with *at(2) calls share it.
func ModeOf(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
