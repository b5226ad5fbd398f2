package target

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/assay-dev/assay/internal/hclguard"
	"github.com/assay-dev/assay/internal/safefile"
)

// ErrTooLarge is wrapped by ReadFile's error for a file over its limit.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads the file name of fsys whole, refusing one of more than
// limit bytes after reading no more than one byte past it (safefile.ReadUpTo). fs.ReadFile sizes
// its buffer from the file's size instead: a sparse file of hundreds of GB
// in a hostile root asks for that much memory at once, and the Go
// runtime's out of memory is fatal, not a panic a collector can recover.
// The error of a file over the limit wraps ErrTooLarge and does not repeat
// the name; the others are those of Open and Read.
func ReadFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := safefile.ReadUpTo(f, limit)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: larger than %s, not read", ErrTooLarge, hclguard.Size(limit))
	}
	return data, nil
}
