// Package target is where collectors read facts from: the running host, an
// unpacked root filesystem (--root), or a container image (--image).
//
// Every target is an io/fs file system whose names are relative to the
// target's root ("etc/ssh/sshd_config", "." for the root itself). Every path
// and every symbolic link, absolute ones included, resolves inside the root as
// it would in a chroot: a link to /etc/shadow in a scanned tree reads the
// target's /etc/shadow, never the scanner's. Collectors never touch the
// scanner's own filesystem directly.
package target

import (
	"errors"
	"io/fs"
	"path"
	"strings"
)

// Kind says what a target is.
type Kind string

// Target kinds.
const (
	KindHost  Kind = "host"  // the running machine, root "/"
	KindRoot  Kind = "root"  // an unpacked root filesystem (--root DIR)
	KindImage Kind = "image" // a container image (--image REF)
	// KindSSH is a running machine read over SFTP (--target ssh://HOST).
	KindSSH Kind = "ssh"
	// KindDocuments is what `assay eval` judges: documents read from files.
	KindDocuments Kind = "documents"
)

// Live reports whether targets of kind k are running machines, whose
// kernel state (network interfaces and neighbours) collectors may read:
// the host, and hosts reached over SSH.
func (k Kind) Live() bool { return k == KindHost || k == KindSSH }

// Target is a read-only, confined view of a root filesystem.
//
// Open returns directories and regular files only. Anything else (FIFO,
// socket, device) fails with an error that wraps ErrNotRegular, without ever
// being opened for reading, so a collector can never block on a FIFO or touch
// a device.
type Target interface {
	fs.ReadDirFS
	fs.StatFS
	fs.ReadLinkFS
	// Info describes the target for reports.
	Info() Info
	// Close releases what the target holds (open root, image blobs).
	Close() error
}

// Info describes a target in reports and metrics.
type Info struct {
	Kind Kind `json:"kind"`
	// Name is what the user named: "/" for the host, the directory for a root,
	// the reference for an image.
	Name string `json:"name"`
	// Digest is the image's manifest digest, for image targets.
	Digest string `json:"digest,omitempty"`
}

// ErrNotRegular is wrapped by Open for anything that is neither a regular
// file nor a directory.
var ErrNotRegular = errors.New("not a regular file")

// Rel turns an absolute path as users and documents write it ("/etc/passwd")
// into a target name ("etc/passwd"). "/" and "" become ".". The result is
// cleaned, and ".." cannot climb above the root.
func Rel(p string) string {
	p = path.Clean("/" + p)
	if p == "/" {
		return "."
	}
	return strings.TrimPrefix(p, "/")
}

// Abs turns a target name into the absolute path shown to users and stored in
// documents: "etc/passwd" becomes "/etc/passwd", "." becomes "/".
func Abs(name string) string {
	if name == "." || name == "" {
		return "/"
	}
	return path.Clean("/" + name)
}

// TypeString names a file's type as documents spell it: "file", "dir",
// "symlink", "fifo", "socket", "device", "chardevice", "irregular".
func TypeString(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "chardevice"
	case m&fs.ModeDevice != 0:
		return "device"
	default:
		return "irregular"
	}
}
