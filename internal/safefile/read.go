package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Errors of ReadLimited, which callers turn into their own messages (the
// limit to raise, the kind of file wanted).
var (
	// ErrTooLarge: the file holds more than the limit.
	ErrTooLarge = errors.New("too large")
	// ErrDirectory: the path names a directory.
	ErrDirectory = errors.New("a directory")
	// ErrNotRegular: the path names a device, a socket, or (with
	// RegularOnly) a FIFO.
	ErrNotRegular = errors.New("not a regular file")
)

// Accept says which kinds of file ReadLimited reads besides a regular one.
type Accept int

const (
	// RegularOnly refuses anything but a regular file.
	RegularOnly Accept = iota
	// Pipes reads a FIFO (a process substitution, <(…)) and a character
	// device (/dev/stdin) too. A FIFO that no writer has opened reads as
	// empty, at once.
	Pipes
	// PipesWaiting is Pipes, except that a FIFO no writer has opened yet
	// is waited on until one does, as cat waits: mkfifo p; assay … p &
	// assay collect > p works whichever starts first.
	PipesWaiting
)

// ReadLimited reads the file at path, never more than limit+1 bytes, from
// a descriptor opened without blocking, so that a FIFO cannot hang the
// open unless accept is PipesWaiting. A regular file beyond limit is
// refused by its size, unread; a FIFO is read as it comes, a writer that
// is there waited for.
//
// Its errors are ErrTooLarge, ErrDirectory, ErrNotRegular (wrapped, with
// what the file is), or those of the open and the read, which do not
// repeat the path.
func ReadLimited(path string, limit int64, accept Accept) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, WithoutPath(err)
	}
	defer func() { f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return nil, WithoutPath(err)
	}
	mode := fi.Mode()
	switch {
	case mode.IsDir():
		return nil, ErrDirectory
	case mode.IsRegular():
		if fi.Size() > limit {
			return nil, ErrTooLarge
		}
	case accept == PipesWaiting && mode&fs.ModeNamedPipe != 0:
		// Wait on the descriptor already open for a writer to come: poll
		// says so when one has written (POLLIN) or come and gone
		// (POLLHUP), even if that happened since the open, whereas a
		// second, blocking open would miss a writer already gone and wait
		// for ever.
		if err := waitForWriter(int(f.Fd())); err != nil {
			return nil, err
		}
		if err := syscall.SetNonblock(int(f.Fd()), false); err != nil {
			return nil, err
		}
	case accept == Pipes && mode&fs.ModeNamedPipe != 0:
		// Back to blocking reads: a writer that is there is waited for;
		// with none, the read ends at once.
		if err := syscall.SetNonblock(int(f.Fd()), false); err != nil {
			return nil, err
		}
	case accept != RegularOnly && mode&fs.ModeCharDevice != 0:
	default:
		return nil, fmt.Errorf("%w (%s)", ErrNotRegular, mode.Type())
	}
	expected := 0
	if mode.IsRegular() {
		expected = int(fi.Size()) // at most limit: a larger one is refused above
	}
	data, err := readUpTo(f, limit, expected)
	if err != nil {
		return nil, WithoutPath(err)
	}
	if int64(len(data)) > limit {
		return nil, ErrTooLarge
	}
	return data, nil
}

// waitForWriter blocks until the FIFO open for reading at fd has data, or
// had a writer that has closed it.
func waitForWriter(fd int) error {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err != unix.EINTR {
			return err
		}
	}
}

// WithoutPath drops the operation and path of a *fs.PathError: callers
// name the file already.
func WithoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Past is the number of bytes to read to tell an input over limit bytes:
// one more than limit, except at the largest limit, which no input can be
// over and where limit+1 would wrap to a negative number, which
// io.LimitReader takes as nothing to read.
func Past(limit int64) int64 {
	if limit == math.MaxInt64 {
		return limit
	}
	return limit + 1
}

// ReadUpTo reads r to its end or to one byte past limit, whichever comes
// first: the caller tells an input over the limit by its length.
func ReadUpTo(r io.Reader, limit int64) ([]byte, error) {
	return readUpTo(r, limit, 0)
}

// readUpTo is ReadUpTo into a buffer sized for the bytes expected (a
// regular file's size, from its stat), as os.ReadFile sizes its own: the
// file is then read in one read and one that finds its end, where
// io.ReadAll starts at 512 bytes and grows, copying, about eight times
// for a 4.5 KB document. Past what was expected (a file that grew since)
// the buffer grows as append grows it.
func readUpTo(r io.Reader, limit int64, expected int) ([]byte, error) {
	lr := io.LimitReader(r, Past(limit))
	buf := make([]byte, 0, expected+1) // +1: room for the read that finds the end
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
