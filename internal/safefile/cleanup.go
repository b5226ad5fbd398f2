package safefile

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// The temporary files of the writes in progress, so that a process ending
// on a signal can remove them (Cleanup) wherever its goroutines are.
var pending struct {
	sync.Mutex
	files  map[*temp]struct{}
	closed bool // Cleanup ran: no new temporary file
}

// temp is one temporary file being written. dir stays open until done.
type temp struct {
	dir  *os.File
	name string
	f    *os.File
}

// newTemp creates the file name in dir and registers it, under the lock,
// so that Cleanup sees every temporary file that exists.
func newTemp(dir *os.File, name string) (*temp, error) {
	pending.Lock()
	defer pending.Unlock()
	if pending.closed {
		return nil, ErrInterrupted
	}
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	t := &temp{dir: dir, name: name, f: os.NewFile(uintptr(fd), name)}
	if pending.files == nil {
		pending.files = map[*temp]struct{}{}
	}
	pending.files[t] = struct{}{}
	return t, nil
}

// done unregisters t once it is renamed or removed.
func (t *temp) done() {
	pending.Lock()
	defer pending.Unlock()
	delete(pending.files, t)
}

// Cleanup removes the temporary files of every write still in progress and
// makes later writes fail with ErrInterrupted: it is for a process about to
// end. The command line calls it when a signal ends the process; the
// writes it interrupts leave their destinations as they were.
func Cleanup() {
	pending.Lock()
	defer pending.Unlock()
	pending.closed = true
	for t := range pending.files {
		unix.Unlinkat(int(t.dir.Fd()), t.name, 0)
		delete(pending.files, t)
	}
}
