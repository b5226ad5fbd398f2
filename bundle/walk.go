package bundle

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Limits on what one bundle may hold. A bundle beyond them is a mistake or
// an attack (a gzip bomb); either way it is refused with a diagnostic.
const (
	maxFileSize   = 16 << 20  // one file
	maxBundleSize = 128 << 20 // all files of an archive, uncompressed
	maxEntries    = 10000     // entries of an archive
)

// walk lists the bundle's files: HCL in the root, Rego anywhere, data files
// in the root and data/. Hidden files and directories (.git) are skipped.
func (l *loader) walk() {
	err := fs.WalkDir(l.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			l.errorf(nil, "Cannot read bundle", "Reading %s: %s.", l.display(p), describeErr(err))
			if d != nil && d.IsDir() && p != "." {
				return fs.SkipDir
			}
			return nil
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		dir, ext := path.Dir(p), path.Ext(p)
		switch {
		case ext == ".hcl" && dir == ".":
			l.hclFiles = append(l.hclFiles, p)
		case ext == ".rego":
			l.regoFiles = append(l.regoFiles, p)
		case isDataFile(p) && (dir == "." || dir == "data"):
			l.dataFiles = append(l.dataFiles, p)
		}
		return nil
	})
	if err != nil {
		l.errorf(nil, "Cannot read bundle", "Listing %s: %s.", l.root, describeErr(err))
	}
	sort.Strings(l.hclFiles)
	sort.Strings(l.regoFiles)
	sort.Strings(l.dataFiles)
}

// readFile reads a bundle-relative path, confined to the bundle and bounded
// in size, and records it in Files for diagnostics. It returns the name
// used in diagnostics.
func (l *loader) readFile(name string) ([]byte, string, error) {
	rel, err := bundlePath(name)
	if err != nil {
		return nil, "", err
	}
	display := l.display(rel)
	if f, ok := l.b.Files[display]; ok {
		return f.Bytes, display, nil
	}
	src, err := readLimited(l.fsys, rel)
	if err != nil {
		return nil, display, err
	}
	l.b.Files[display] = &hcl.File{Bytes: src}
	return src, display, nil
}

// bundlePath validates a path given in the bundle (file("…"), data path)
// and returns it as an io/fs name. Absolute paths and paths that climb out
// of the bundle are refused.
func bundlePath(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty path")
	}
	if path.IsAbs(name) || filepath.IsAbs(name) {
		return "", fmt.Errorf("%q is an absolute path; only files inside the bundle directory can be read, by a path relative to it", name)
	}
	clean := path.Clean(filepath.ToSlash(name))
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("%q is outside the bundle directory; only files inside it can be read", name)
	}
	if !fs.ValidPath(clean) {
		return "", fmt.Errorf("%q is not a valid path inside the bundle", name)
	}
	return clean, nil
}

func readLimited(fsys fs.FS, name string) ([]byte, error) {
	// Stat before opening: opening a FIFO blocks until a writer comes, and
	// a bundle directory is not trusted to hold only regular files.
	if fi, err := fs.Stat(fsys, name); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	if fi.Size() > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxFileSize>>20)
	}
	src, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxFileSize>>20)
	}
	return src, nil
}

// describeErr makes an fs error readable without repeating the path the
// diagnostic already names.
func describeErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
