package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
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
		name  string
		path  string
		limit int64
		pipes bool
		want  string // the content, or the error's text
		err   error
	}{
		{"regular", small, 10, false, "0123456789", nil},
		{"regular too large", small, 9, true, "", ErrTooLarge},
		{"directory", dir, 10, true, "", ErrDirectory},
		{"missing", filepath.Join(dir, "none"), 10, true, "no such file or directory", nil},
		{"fifo without writer", fifo, 10, true, "", nil},
		{"fifo refused", fifo, 10, false, "not a regular file (p", ErrNotRegular},
		{"char device", os.DevNull, 10, true, "", nil},
		{"char device refused", os.DevNull, 10, false, "not a regular file (Dc", ErrNotRegular},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := ReadLimited(tc.path, tc.limit, tc.pipes)
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
		data, err := ReadLimited(fifo, 10, true)
		keep.Close()
		if !errors.Is(err, tc.err) || (tc.err == nil && string(data) != tc.write) {
			t.Errorf("write %q: got %q, %v; want %v", tc.write, data, err, tc.err)
		}
	}
}
