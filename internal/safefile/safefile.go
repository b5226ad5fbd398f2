// Package safefile is the one way assay writes a file: reports, archives,
// formatted sources, caches, generated bundles and docs.
//
// A file is written to a temporary file created beside it (O_EXCL,
// O_NOFOLLOW, relative to the opened directory), synced, then renamed over
// its name. A reader (node_exporter's textfile collector, a CI upload step)
// never sees half a file, and an interrupted run never leaves one.
//
// The final name is never followed: a symbolic link there is replaced by
// the new file, its target left alone, so a link planted by another user
// (`ln -s /etc/passwd /tmp/report.json`) cannot turn a root scan into a
// write somewhere else. A directory, device, FIFO or socket there is
// refused (NotRegularError), except the names that mean the process's own
// streams or nothing: "-", /dev/stdout, /dev/stderr and /dev/null.
//
// ReadLimited is its counterpart for the files an operator names
// (overlays, waivers, reports, secrets): bounded, and never blocked by a
// FIFO.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Written in place: they name the process's own output streams or
// nothing, and renaming over them would replace a device.
var inPlace = map[string]func() io.Writer{
	"-":           func() io.Writer { return os.Stdout },
	"/dev/stdout": func() io.Writer { return os.Stdout },
	"/dev/stderr": func() io.Writer { return os.Stderr },
	"/dev/null":   func() io.Writer { return io.Discard },
}

// InPlace reports whether path is one of the names written in place: "-"
// and /dev/stdout (standard output), /dev/stderr, /dev/null. Only these
// exact names are; any other link to a device is refused.
func InPlace(path string) bool {
	_, ok := inPlace[path]
	return ok
}

// NotRegularError says that a path names something a file cannot be
// written to: a directory, a device, a FIFO or a socket.
type NotRegularError struct {
	Path string
	// Kind is what is there: "a directory", "a named pipe (FIFO)", ...
	Kind string
}

func (e *NotRegularError) Error() string {
	if e.Kind == "a directory" {
		return fmt.Sprintf("%s is a directory: give a file name", e.Path)
	}
	return fmt.Sprintf("%s is %s: assay writes files by replacing them and never writes into one; give a regular file name, or - for standard output", e.Path, e.Kind)
}

// kind names what a non-regular, non-link file mode is, or "" for what
// can be replaced (a regular file, a symbolic link).
func kind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFLNK:
		return ""
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFIFO:
		return "a named pipe (FIFO)"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFSOCK:
		return "a socket"
	}
	return "not a regular file"
}

// Check says, before any work is done, whether Write could write path:
// nil for a new name, a regular file, a symbolic link (which Write
// replaces) and the names written in place; a *NotRegularError for a
// directory, device, FIFO or socket. Only the final name is looked at, and
// never followed.
func Check(path string) error {
	if InPlace(path) {
		return nil
	}
	if err := checkName(path); err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return nil // a missing name is created; other errors show at the write
	}
	if k := kind(st.Mode); k != "" {
		return &NotRegularError{Path: path, Kind: k}
	}
	return nil
}

// checkName refuses a path whose last element cannot be a file name.
func checkName(path string) error {
	base := filepath.Base(path)
	if path == "" || strings.HasSuffix(path, "/") || base == "." || base == ".." || base == "/" {
		return &NotRegularError{Path: path, Kind: "a directory"}
	}
	return nil
}

// Write writes path through write. A new file gets the permissions perm;
// a regular file it replaces keeps the stricter of its own and perm (their
// intersection: 0640 stays 0640 under 0644). The missing directories of
// path are created (0755).
//
// See the package comment for what is refused and what is written in
// place. On any failure the temporary file is removed and path is left as
// it was.
func Write(path string, perm os.FileMode, write func(io.Writer) error) error {
	if w, ok := inPlace[path]; ok {
		return write(w())
	}
	if err := checkName(path); err != nil {
		return err
	}
	d, err := OpenDir(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return writeAt(d.f, filepath.Base(path), path, perm, write)
}

// WriteBytes writes data to path as Write does.
func WriteBytes(path string, perm os.FileMode, data []byte) error {
	return Write(path, perm, bytesWriter(data))
}

func bytesWriter(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}

// ErrInterrupted is returned by a write that would start after Cleanup:
// the process is ending on a signal.
var ErrInterrupted = errors.New("interrupted: the process is ending")
