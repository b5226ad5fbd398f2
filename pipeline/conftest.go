package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/assay-dev/assay/internal/hclguard"
	"github.com/assay-dev/assay/internal/safefile"

	"github.com/open-policy-agent/opa/v1/loader"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/engine"
)

// What conftest users pass to `conftest test` and `assay eval` takes too
// (docs/bundles.md, "conftest compatibility"): --data, --namespace,
// --all-namespaces, --combine and "-" for standard input.

// DefaultNamespaces are the packages of conftest-style (implicit) bundles
// that `assay eval` judges with unless told otherwise: conftest's default.
var DefaultNamespaces = []string{"main"}

// SelectNamespaces keeps, in every implicit (conftest-style) bundle, the
// policies of the packages that conftest --namespace would evaluate: a
// pattern without *, ? or [ names a package exactly; with them, it matches
// as path.Match does, "." being an ordinary character (k8s.* matches
// k8s.pods.limits). all keeps every package (--all-namespaces). Bundles
// with HCL keep all their policies. A bad pattern is a usage error; an
// implicit bundle left with no policy is logged, since conftest would pass
// it silently.
func (e *Env) SelectNamespaces(bundles []*bundle.Bundle, patterns []string, all bool) error {
	if all {
		return nil
	}
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return exitcode.UsageError(fmt.Errorf("--namespace %q: %w", p, err))
		}
	}
	for _, b := range bundles {
		if !b.Implicit {
			continue
		}
		kept := b.Policies[:0:0]
		var others []string
		for _, p := range b.Policies {
			if namespaceSelected(p.ID, patterns) {
				kept = append(kept, p)
			} else {
				others = append(others, p.ID)
			}
		}
		if len(kept) == 0 && len(others) > 0 {
			e.logger().Warn("no policy of the bundle is in the namespaces judged, so it judges nothing (as conftest would); add --namespace NAME or --all-namespaces",
				"bundle", b.Source, "namespaces", strings.Join(patterns, ","), "packages", strings.Join(others, ","))
		}
		b.Policies = kept
	}
	return nil
}

func namespaceSelected(ns string, patterns []string) bool {
	for _, p := range patterns {
		if !strings.ContainsAny(p, "*?[") {
			if p == ns {
				return true
			}
			continue
		}
		if ok, _ := path.Match(p, ns); ok {
			return true
		}
	}
	return false
}

// Limits of the files --data reads. Beyond one, the run stops with an
// error naming the file: data that is only partly loaded would judge
// wrongly.
const (
	// MaxDataFileSize bounds one data file, as a bundle's files are bounded.
	MaxDataFileSize = 16 << 20
	// MaxDataBytes bounds all data files together.
	MaxDataBytes = 128 << 20
	// MaxDataEntries bounds the files and directories --data walks.
	MaxDataEntries = 10000
)

// dataExtensions are the files conftest --data reads in a directory; the
// rest are passed over.
var dataExtensions = []string{".json", ".yaml", ".yml"}

// LoadData reads the --data paths as conftest does, with OPA's loader: a
// file's JSON or YAML object is merged at the top of data; a directory's
// .json, .yaml and .yml files, at any depth, are merged under the names of
// the directories between it and them (--data policy reads
// policy/exceptions/list.yaml as data.exceptions); "a.b:PATH" puts PATH's
// data under data.a.b. Two files giving one key different values is an
// error. A named path may be a symbolic link; inside a directory a link to
// a data file is refused, as is anything but a regular file, so that
// nothing blocks or leads elsewhere. Errors are usage errors.
func LoadData(paths []string) (map[string]any, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	fsys := &dataFS{roots: map[string]bool{}}
	for _, p := range paths {
		_, p = loader.SplitPrefix(p)
		fsys.roots[p] = true
		fi, err := os.Stat(p)
		if err != nil {
			return nil, exitcode.UsageError(fmt.Errorf("--data %s: %w", p, safefile.WithoutPath(err)))
		}
		if !fi.IsDir() && !isDataFile(p) {
			return nil, exitcode.UsageError(fmt.Errorf("--data %s: not a .json, .yaml or .yml file (a directory's other files are passed over, as conftest does)", p))
		}
	}
	res, err := loader.NewFileLoader().WithFS(fsys).Filtered(paths, func(_ string, info fs.FileInfo, _ int) bool {
		return !info.IsDir() && !isDataFile(info.Name())
	})
	if err != nil {
		var le loader.Errors
		if errors.As(err, &le) && len(le) > 0 {
			err = le[0]
		}
		return nil, exitcode.UsageError(fmt.Errorf("--data: %w", err))
	}
	return res.Documents, nil
}

func isDataFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range dataExtensions {
		if ext == e {
			return true
		}
	}
	return false
}

// dataFS is the file system OPA's loader reads --data through: the real
// one, with assay's limits. Names are paths as the user gave them.
type dataFS struct {
	roots          map[string]bool // the paths named on the command line
	entries, bytes int
}

func (f *dataFS) count(name string) error {
	f.entries++
	if f.entries > MaxDataEntries {
		return fmt.Errorf("%s: more than %d files and directories under the --data paths", name, MaxDataEntries)
	}
	return nil
}

// Open is required by fs.FS; the loader uses Stat, ReadDir and ReadFile.
func (f *dataFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
}

// Stat follows a link only for a path named on the command line, so that a
// link inside a directory is not walked into (and cannot loop).
func (f *dataFS) Stat(name string) (fs.FileInfo, error) {
	if f.roots[name] {
		return os.Stat(name)
	}
	return os.Lstat(name)
}

func (f *dataFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := f.count(name); err != nil {
		return nil, err
	}
	d, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	entries, err := d.ReadDir(MaxDataEntries + 1)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(entries) > MaxDataEntries {
		return nil, fmt.Errorf("%s: more than %d entries", name, MaxDataEntries)
	}
	return entries, nil
}

func (f *dataFS) ReadFile(name string) ([]byte, error) {
	if err := f.count(name); err != nil {
		return nil, err
	}
	flags := os.O_RDONLY | syscall.O_NONBLOCK
	if !f.roots[name] {
		flags |= syscall.O_NOFOLLOW
	}
	file, err := os.OpenFile(name, flags, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s: a symbolic link inside a --data directory is not followed; name its target with --data", name)
		}
		return nil, err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %s, not a regular file; --data reads only regular files", name, fileType(fi.Mode()))
	}
	if fi.Size() > MaxDataFileSize {
		return nil, fmt.Errorf("%s: larger than the %s limit of a data file", name, hclguard.Size(MaxDataFileSize))
	}
	data, err := io.ReadAll(io.LimitReader(file, MaxDataFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxDataFileSize {
		return nil, fmt.Errorf("%s: larger than the %s limit of a data file", name, hclguard.Size(MaxDataFileSize))
	}
	f.bytes += len(data)
	if f.bytes > MaxDataBytes {
		return nil, fmt.Errorf("%s: the --data files hold more than %s together", name, hclguard.Size(MaxDataBytes))
	}
	return data, nil
}

func fileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return "a special file"
}

// stdinName is how findings and errors name standard input.
const stdinName = "-"

// readStdin reads the documents of standard input, as conftest reads "-":
// YAML, which takes JSON too, a multi-document stream giving several; the
// output of `assay collect` is recognised as in a file. It reads at most
// the size limit of a document file, and refuses more.
func readStdin(r io.Reader, types *collector.Registry, opts DocumentOptions) ([]document.Entry, document.Document, error) {
	if r == nil {
		r = os.Stdin
	}
	limit := opts.maxSize()
	data, err := safefile.ReadUpTo(r, limit)
	if err != nil {
		return nil, nil, &InputError{File: stdinName, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, nil, &InputError{File: stdinName, Err: fmt.Errorf("standard input holds more than the %s limit of a document file: write it to a file, or raise the limit", hclguard.Size(limit))}
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, nil, &InputError{File: stdinName, Err: errors.New("standard input is empty: want a JSON or YAML document")}
	}
	if trimmed[0] == '{' {
		if info, err := engine.CheckJSON(data); err == nil && info.Schema == DocumentsSchema {
			docs, host, _, err := fromCollectFile(stdinName, data, types)
			return docs, host, err
		}
	}
	return readYAML(stdinName, data, opts)
}
