package image

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// spill is an unlinked temporary file holding copies of the small files of
// compressed layers, written once while indexing and read with pread
// afterwards. It is bounded by Options.SpillLimit; the page cache, not the
// process, holds what is hot.
type spill struct {
	f     *os.File
	w     *bufio.Writer
	off   int64
	limit int64
}

// newSpill creates the spill file in dir, or returns nil (no spilling) when
// limit is not positive. The file is unlinked at once: nothing is left
// behind, even if the process is killed.
func newSpill(dir string, limit int64) (*spill, error) {
	if limit <= 0 {
		return nil, nil
	}
	f, err := os.CreateTemp(dir, "assay-image-*")
	if err != nil {
		return nil, fmt.Errorf("create spill file: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("unlink spill file: %w", err)
	}
	return &spill{f: f, w: bufio.NewWriterSize(f, 256<<10), limit: limit}, nil
}

func (s *spill) fits(n int64) bool { return s != nil && s.off+n <= s.limit }

// copy appends n bytes from r and returns their offset.
func (s *spill) copy(r io.Reader, n int64) (int64, error) {
	off := s.off
	m, err := io.CopyN(s.w, r, n)
	s.off += m
	if err != nil {
		return 0, err
	}
	return off, nil
}

// done flushes what is buffered; reads may start after it.
func (s *spill) done() error {
	if s == nil {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write spill file: %w", err)
	}
	s.w = nil
	return nil
}

func (s *spill) close() error {
	if s == nil {
		return nil
	}
	return s.f.Close()
}
