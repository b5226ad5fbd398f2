package target_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/assay-dev/assay/core/target"
)

func TestReadFile(t *testing.T) {
	fsys := fstest.MapFS{
		"at":   {Data: []byte(strings.Repeat("x", 2048))},
		"over": {Data: []byte(strings.Repeat("x", 2049))},
	}
	if b, err := target.ReadFile(fsys, "at", 2048); err != nil || len(b) != 2048 {
		t.Errorf("a file at the limit: %d bytes, %v", len(b), err)
	}
	_, err := target.ReadFile(fsys, "over", 2048)
	if !errors.Is(err, target.ErrTooLarge) || !strings.Contains(err.Error(), "larger than 2 KiB") {
		t.Errorf("a file over the limit: %v, want ErrTooLarge naming 2 KiB", err)
	}
	if _, err := target.ReadFile(fsys, "none", 2048); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want fs.ErrNotExist", err)
	}
}
