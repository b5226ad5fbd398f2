package bundle

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
)

var archiveExts = []string{".tar.gz", ".tgz"}

// IsArchive reports whether name is named like a bundle archive (.tar.gz,
// .tgz). It says nothing of what the file holds.
func IsArchive(name string) bool {
	for _, ext := range archiveExts {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

func extractArchive(ctx context.Context, name string) (fs.FS, hcl.Diagnostics) {
	f, err := os.Open(name)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read bundle",
			Detail:   fmt.Sprintf("The bundle archive %q cannot be opened: %s.", name, describeErr(err)),
		}}
	}
	defer f.Close()
	return ReadArchive(ctx, f, name)
}

// ReadArchive reads a gzip-compressed tar of a bundle into memory, never
// onto disk. Only regular files and directories are accepted, by paths that
// stay inside the archive; links, devices, duplicate and oversized entries
// are each refused with a diagnostic naming the entry (archive is the
// archive's name for them). When every entry sits under one top directory
// (tar czf b.tar.gz mybundle/), that directory is the bundle.
func ReadArchive(ctx context.Context, r io.Reader, archive string) (fs.FS, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	refuse := func(entry, why string) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsafe archive entry",
			Detail:   fmt.Sprintf("Entry %q of %s %s.", entry, archive, why),
		})
	}
	invalid := func(err error) (fs.FS, hcl.Diagnostics) {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid archive",
			Detail:   fmt.Sprintf("%s is not a readable .tar.gz: %s.", archive, err),
		})
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return invalid(err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	dirs := map[string]bool{}
	var total int64
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return invalid(err)
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return invalid(err)
		}
		if n >= maxEntries {
			return invalid(fmt.Errorf("more than %d entries", maxEntries))
		}
		name, err := archivePath(h.Name)
		if err != nil {
			refuse(h.Name, err.Error())
			continue
		}
		switch h.Typeflag {
		case tar.TypeXGlobalHeader:
			continue
		case tar.TypeDir:
			dirs[name] = true
			continue
		case tar.TypeReg, '\x00': // '\x00' is the old-style regular file
		case tar.TypeSymlink:
			refuse(h.Name, fmt.Sprintf("is a symbolic link (to %q); bundles hold only regular files and directories", h.Linkname))
			continue
		case tar.TypeLink:
			refuse(h.Name, fmt.Sprintf("is a hard link (to %q); bundles hold only regular files and directories", h.Linkname))
			continue
		case tar.TypeChar, tar.TypeBlock:
			refuse(h.Name, "is a device; bundles hold only regular files and directories")
			continue
		case tar.TypeFifo:
			refuse(h.Name, "is a FIFO; bundles hold only regular files and directories")
			continue
		default:
			refuse(h.Name, fmt.Sprintf("has unsupported type %q; bundles hold only regular files and directories", h.Typeflag))
			continue
		}
		if name == "." {
			refuse(h.Name, "is a file named like the archive root")
			continue
		}
		if _, dup := files[name]; dup {
			refuse(h.Name, "appears twice; an archive that says two things about one file is refused")
			continue
		}
		if h.Size > maxFileSize {
			refuse(h.Name, fmt.Sprintf("is larger than %d MiB", maxFileSize>>20))
			continue
		}
		if total+h.Size > maxBundleSize {
			return invalid(fmt.Errorf("its files add up to more than %d MiB", maxBundleSize>>20))
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxFileSize+1))
		if err != nil {
			return invalid(err)
		}
		if len(data) > maxFileSize {
			refuse(h.Name, fmt.Sprintf("is larger than %d MiB", maxFileSize>>20))
			continue
		}
		total += int64(len(data))
		files[name] = data
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if _, clash := files[d]; clash {
				refuse(d, "is both a file and a directory")
			}
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	prefix := commonTopDir(names)
	fsys := fstest.MapFS{}
	for _, name := range names {
		fsys[strings.TrimPrefix(name, prefix)] = &fstest.MapFile{Data: files[name], Mode: 0o644}
	}
	return fsys, diags
}

// archivePath validates an entry name and returns it as an io/fs name.
func archivePath(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", errors.New("has an absolute path; bundle entries must be relative")
	}
	if strings.ContainsAny(name, "\\\x00") {
		return "", errors.New("has a backslash or NUL in its name")
	}
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", errors.New("points outside the archive (../)")
	}
	if !fs.ValidPath(clean) {
		return "", errors.New("is not a valid path")
	}
	return clean, nil
}

// commonTopDir returns "dir/" when every name is under that one directory.
func commonTopDir(names []string) string {
	if len(names) == 0 {
		return ""
	}
	top, _, ok := strings.Cut(names[0], "/")
	if !ok {
		return ""
	}
	for _, n := range names[1:] {
		if !strings.HasPrefix(n, top+"/") {
			return ""
		}
	}
	return top + "/"
}
