package image

import (
	"bufio"
	"fmt"
	"os"
	"sync"
)

// spill is an unlinked temporary file holding copies of the small files of
// compressed layers, written once while indexing and read with pread
// afterwards. It is bounded by Options.SpillLimit; the page cache, not the
// process, holds what is hot.
type spill struct {
	mu    sync.Mutex // layers are indexed in parallel
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

// add appends data and returns its offset; ok is false when the limit
// would be passed.
func (s *spill) add(data []byte) (off int64, ok bool, err error) {
	if s == nil {
		return 0, false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.off+int64(len(data)) > s.limit {
		return 0, false, nil
	}
	off = s.off
	n, err := s.w.Write(data)
	s.off += int64(n)
	if err != nil {
		return 0, false, fmt.Errorf("write spill file: %w", err)
	}
	return off, true, nil
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
