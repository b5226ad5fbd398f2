package safefile

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// TempMarker is in the name of every temporary file: `.NAME.assay-tmp-RANDOM`
// beside NAME. The leading dot hides it, and it never ends in NAME's
// extension, so readers that pick files by name (node_exporter's textfile
// collector reads only *.prom, bundle loaders only *.hcl and *.rego) skip
// one a crash left behind; the marker says where it came from.
const TempMarker = ".assay-tmp-"

// maxTempBase keeps a temporary name within NAME_MAX (255 bytes) whatever
// the length of the name it stands for.
const maxTempBase = 255 - len(".") - len(TempMarker) - 12

// Dir is a directory opened once, into which files are written by name
// relative to it: the path that named it is resolved only when it is
// opened, and nothing below it is ever followed.
type Dir struct {
	f    *os.File
	name string
}

// OpenDir opens the directory path for writing files into, creating it and
// its missing parents (0755). Links in path itself are followed: the
// operator named it.
func OpenDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &Dir{f: f, name: path}, nil
}

// Close closes the directory.
func (d *Dir) Close() error { return d.f.Close() }

// Write writes the file name, a slash-separated path inside d, as the
// package's Write does. Its missing directories are created (0755); one
// that is a symbolic link, or anything but a directory, is an error: a
// link planted inside an output directory is never written through.
func (d *Dir) Write(name string, perm os.FileMode, write func(io.Writer) error) error {
	display := filepath.Join(d.name, name)
	if !filepath.IsLocal(name) || strings.HasSuffix(name, "/") {
		return fmt.Errorf("%s: not a file name inside %s", name, d.name)
	}
	elems := strings.Split(filepath.ToSlash(filepath.Clean(name)), "/")
	dir := d.f
	for i, elem := range elems[:len(elems)-1] {
		sub, err := openSubdir(dir, elem, filepath.Join(d.name, filepath.Join(elems[:i+1]...)))
		if dir != d.f {
			dir.Close()
		}
		if err != nil {
			return err
		}
		dir = sub
	}
	if dir != d.f {
		defer dir.Close()
	}
	return writeAt(dir, elems[len(elems)-1], display, perm, write)
}

// WriteBytes writes data to the file name inside d, as Write does.
func (d *Dir) WriteBytes(name string, perm os.FileMode, data []byte) error {
	return d.Write(name, perm, bytesWriter(data))
}

// openSubdir opens, or creates and opens, the directory elem of parent,
// never following a link.
func openSubdir(parent *os.File, elem, display string) (*os.File, error) {
	pfd := int(parent.Fd())
	for created := false; ; created = true {
		fd, err := unix.Openat(pfd, elem, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == nil {
			return os.NewFile(uintptr(fd), display), nil
		}
		if errors.Is(err, unix.ENOENT) && !created {
			if err := unix.Mkdirat(pfd, elem, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
				return nil, fmt.Errorf("create directory %s: %w", display, err)
			}
			continue
		}
		var st unix.Stat_t
		if serr := unix.Fstatat(pfd, elem, &st, unix.AT_SYMLINK_NOFOLLOW); serr == nil {
			switch st.Mode & unix.S_IFMT {
			case unix.S_IFLNK:
				return nil, fmt.Errorf("%s is a symbolic link: assay never writes through a link it did not create; remove it, or write elsewhere", display)
			case unix.S_IFDIR:
			default:
				return nil, fmt.Errorf("%s is not a directory: remove it, or write elsewhere", display)
			}
		}
		return nil, fmt.Errorf("open directory %s: %w", display, err)
	}
}

// writeAt writes base in the directory dir: the checks on what is there
// now, a temporary file beside it, then a rename over it. display names
// the file in errors.
func writeAt(dir *os.File, base, display string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dfd := int(dir.Fd())
	perm &= os.ModePerm
	var st unix.Stat_t
	switch err := unix.Fstatat(dfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); {
	case errors.Is(err, unix.ENOENT):
	case err != nil:
		return fmt.Errorf("stat %s: %w", display, err)
	case st.Mode&unix.S_IFMT == unix.S_IFREG:
		perm &= os.FileMode(st.Mode) & os.ModePerm // the stricter of the two
	default:
		if k := kind(st.Mode); k != "" {
			return &NotRegularError{Path: display, Kind: k}
		}
		// a symbolic link: the rename replaces the link, not its target
	}

	tmp, err := createTemp(dir, base)
	if err != nil {
		return fmt.Errorf("create a temporary file for %s: %w", display, err)
	}
	defer func() {
		if err != nil {
			tmp.f.Close()
			unix.Unlinkat(dfd, tmp.name, 0)
		}
		tmp.done()
	}()
	if err = write(tmp.f); err != nil {
		return err
	}
	if err = tmp.f.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", display, err)
	}
	if err = tmp.f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", display, err)
	}
	if err = tmp.f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", display, err)
	}
	if err = unix.Renameat(dfd, tmp.name, dfd, base); err != nil {
		return fmt.Errorf("replace %s: %w", display, err)
	}
	return nil
}

// tempName is the name of a temporary file standing for base.
func tempName(base string) string {
	if len(base) > maxTempBase {
		base = base[:maxTempBase]
		for !utf8.ValidString(base) {
			base = base[:len(base)-1]
		}
	}
	return fmt.Sprintf(".%s%s%012x", base, TempMarker, rand.Uint64()&(1<<48-1))
}

// createTemp creates a new temporary file for base in dir, registered for
// Cleanup: O_EXCL and O_NOFOLLOW, so nothing already there (a file, a
// link planted under a guessed name) is ever opened.
func createTemp(dir *os.File, base string) (*temp, error) {
	for range 100 {
		t, err := newTemp(dir, tempName(base))
		if errors.Is(err, unix.EEXIST) {
			continue
		}
		return t, err
	}
	return nil, errors.New("no free temporary name")
}
