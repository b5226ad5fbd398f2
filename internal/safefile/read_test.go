package safefile

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
)

// TestReadLimited: what ReadLimited does with each kind of file, with and
// without pipes. A FIFO without a writer must neither hang the open nor
// the read.
func TestReadLimited(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		path   string
		limit  int64
		accept Accept
		want   string // the content, or the error's text
		err    error
	}{
		{"regular", small, 10, RegularOnly, "0123456789", nil},
		{"regular too large", small, 9, Pipes, "", ErrTooLarge},
		{"regular, the largest limit", small, math.MaxInt64, RegularOnly, "0123456789", nil},
		{"directory", dir, 10, Pipes, "", ErrDirectory},
		{"missing", filepath.Join(dir, "none"), 10, Pipes, "no such file or directory", nil},
		{"fifo without writer", fifo, 10, Pipes, "", nil},
		{"fifo refused", fifo, 10, RegularOnly, "not a regular file (p", ErrNotRegular},
		{"char device", os.DevNull, 10, Pipes, "", nil},
		{"char device refused", os.DevNull, 10, RegularOnly, "not a regular file (Dc", ErrNotRegular},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := ReadLimited(tc.path, tc.limit, tc.accept)
			switch {
			case tc.err != nil:
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %q, %v; want %v holding %q", data, err, tc.err, tc.want)
				}
			case strings.Contains(tc.want, " "):
				if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), tc.path) {
					t.Fatalf("got %q, %v; want an error %q without the path", data, err, tc.want)
				}
			case err != nil || string(data) != tc.want:
				t.Fatalf("got %q, %v; want %q", data, err, tc.want)
			}
		})
	}
}

// TestReadLimitedPipe: a pipe is read to its end, and refused past the
// limit however it arrives.
func TestReadLimitedPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		write string
		err   error
	}{{"0123456789", nil}, {"0123456789a", ErrTooLarge}} {
		// A reader of our own keeps what is written in the pipe once the
		// writer has gone, so that ReadLimited reads it, then its end.
		keep, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.WriteString(tc.write); err != nil {
			t.Fatal(err)
		}
		w.Close()
		data, err := ReadLimited(fifo, 10, Pipes)
		keep.Close()
		if !errors.Is(err, tc.err) || (tc.err == nil && string(data) != tc.write) {
			t.Errorf("write %q: got %q, %v; want %v", tc.write, data, err, tc.err)
		}
	}
}

// TestReadLimitedWaiting: with PipesWaiting, a FIFO opened before its
// writer is read once the writer comes, rather than read as empty; with
// Pipes the same FIFO reads as empty at once. Whether the writer comes
// while the reader waits, or comes, writes and goes before it waits, the
// reader gets what was written.
func TestReadLimitedWaiting(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadLimited(fifo, 10, Pipes); err != nil || len(data) != 0 {
		t.Fatalf("Pipes without a writer: got %q, %v; want empty", data, err)
	}
	for _, write := range []string{"late", ""} {
		type result struct {
			data []byte
			err  error
		}
		done := make(chan result, 1)
		go func() {
			data, err := ReadLimited(fifo, 10, PipesWaiting)
			done <- result{data, err}
		}()
		// A blocking open for writing returns once the reader above has
		// the FIFO open; the reader may be anywhere after that.
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.WriteString(write); err != nil {
			t.Fatal(err)
		}
		w.Close()
		select {
		case r := <-done:
			if r.err != nil || string(r.data) != write {
				t.Fatalf("PipesWaiting, writer wrote %q: got %q, %v", write, r.data, r.err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("PipesWaiting, writer wrote %q: still waiting a minute after the writer closed", write)
		}
	}
}

// TestReadUpTo: one byte past the limit tells an input over it, and the
// largest limit reads everything (limit+1 wrapped to a negative number,
// which io.LimitReader takes as nothing to read).
func TestReadUpTo(t *testing.T) {
	for _, tc := range []struct {
		limit int64
		in    string
		want  string
	}{
		{0, "", ""},
		{0, "a", "a"},
		{3, "abc", "abc"},
		{3, "abcdef", "abcd"},
		{math.MaxInt64, "abcdef", "abcdef"},
	} {
		got, err := ReadUpTo(strings.NewReader(tc.in), tc.limit)
		if err != nil || string(got) != tc.want {
			t.Errorf("ReadUpTo(%q, %d) = %q, %v; want %q", tc.in, tc.limit, got, err, tc.want)
		}
		// Whatever size a stat said (the file grew or shrank since, or
		// the reader returns a byte at a time), the same bytes.
		for _, expected := range []int{0, 1, len(tc.in) - 1, len(tc.in), len(tc.in) + 7} {
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				got, err := readUpTo(r, tc.limit, max(expected, 0))
				if err != nil || string(got) != tc.want {
					t.Errorf("readUpTo(%q, %d, expecting %d) = %q, %v; want %q", tc.in, tc.limit, expected, got, err, tc.want)
				}
			}
		}
	}
	// A read error comes back with what was read before it.
	got, err := readUpTo(iotest.TimeoutReader(strings.NewReader("abcdef")), 10, 6)
	if err == nil || len(got) == 0 {
		t.Errorf("a failing read: %q, %v; want the bytes before the error and the error", got, err)
	}
}
