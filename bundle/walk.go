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

	"github.com/assay-dev/assay/internal/safefile"
)

// Limits on what one bundle may hold. A bundle beyond them is a mistake or
// an attack (a gzip bomb); either way it is refused with a diagnostic.
const (
	maxFileSize   = 16 << 20  // one file
	maxBundleSize = 128 << 20 // all files of an archive, uncompressed
	maxEntries    = 10000     // entries of an archive
)

// FileKind says what the loader makes of a bundle file by itself, before
// the bundle's HCL names any file.
type FileKind int

const (
	// OtherFile is any other file: a README, a template, a JSON file in a
	// directory other than data/. The loader reads it only when the HCL
	// names it (file("…"), a data block's path), which is why an archive
	// holds it all the same.
	OtherFile FileKind = iota
	// HCLFile is a .hcl file in the bundle's root: its configuration.
	HCLFile
	// RegoFile is a .rego file in any directory: a policy module.
	RegoFile
	// DataFile is a .json, .yaml or .yml file in the root or data/,
	// exposed as data.<basename> unless a data block reads it.
	DataFile
)

// Entry is one file of a bundle, or an error listing one.
type Entry struct {
	// Name is the file's io/fs name, relative to the bundle root.
	Name string
	// Type is the file's type as its directory lists it
	// (fs.DirEntry.Type): 0 for a regular file; a symbolic link is
	// fs.ModeSymlink, not followed.
	Type fs.FileMode
	Kind FileKind
	// Err is set when Name could not be listed; Kind is then OtherFile.
	// An unreadable directory is skipped, a failed listing of the root
	// keeps whatever entries it returned.
	Err error
}

// ListFiles is the one place that decides which files belong to a bundle.
// A bundle is every file of the tree but hidden ones: a file or directory
// whose name starts with "." (.git, an artifact's .manifest and
// .signatures.json) is skipped, in any directory. Directories are not
// entries; other files are, whatever their type, so that the caller
// decides what a FIFO or a symbolic link means.
//
// The loader and the archive builder (artifact.Build) both walk a bundle
// with ListFiles, and take different sets from it. An archive holds every
// entry, since the HCL may read any file by name. The loader lists only
// the entries whose Kind is not OtherFile, the files it reads without
// being told to; Kind holds the rules for that.
//
// Entries come in fs.WalkDir order (lexical, directory by directory),
// which is not sorted order: "a/b" comes before "a.txt".
func ListFiles(fsys fs.FS) []Entry {
	var entries []Entry
	// The walk function never returns an error but SkipDir, so WalkDir
	// never returns one: every error is an entry.
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			entries = append(entries, Entry{Name: p, Err: err})
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
		entries = append(entries, Entry{Name: p, Type: d.Type(), Kind: fileKind(p)})
		return nil
	})
	return entries
}

// fileKind classifies a bundle file by its io/fs name.
func fileKind(name string) FileKind {
	dir, ext := path.Dir(name), path.Ext(name)
	switch {
	case ext == ".hcl" && dir == ".":
		return HCLFile
	case ext == ".rego":
		return RegoFile
	case isDataFile(name) && (dir == "." || dir == "data"):
		return DataFile
	}
	return OtherFile
}

// walk lists the bundle's files the loader reads by itself (see ListFiles
// and FileKind), each kind sorted. An error listing a file is reported and
// the walk goes on.
func (l *loader) walk() {
	for _, e := range ListFiles(l.fsys) {
		switch {
		case e.Err != nil:
			l.errorf(nil, "Cannot read bundle", "Reading %s: %s.", l.display(e.Name), describeErr(e.Err))
		case e.Kind == HCLFile:
			l.hclFiles = append(l.hclFiles, e.Name)
		case e.Kind == RegoFile:
			l.regoFiles = append(l.regoFiles, e.Name)
		case e.Kind == DataFile:
			l.dataFiles = append(l.dataFiles, e.Name)
		}
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
	if f, ok := l.b.Files[display]; ok && !l.trimmed[display] {
		return f.Bytes, display, nil
	}
	src, err := readLimited(l.fsys, rel)
	if err != nil {
		return nil, display, err
	}
	delete(l.trimmed, display)
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
func describeErr(err error) string { return safefile.WithoutPath(err).Error() }
