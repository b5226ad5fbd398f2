package sshd

import (
	"fmt"
	"io"
	"io/fs"
)

// Bounds on the files the collector reads whole. fs.ReadFile sizes its
// buffer from the file's size: a sparse 200 GB sshd_config in a hostile
// root made it ask for 200 GB at once, which kills the process (the Go
// runtime's out of memory is fatal, not a panic a collector can recover).
const (
	maxConfigFile  = 16 << 20 // sshd_config and its includes; also sshd's 16 MiB line
	maxAccountFile = 16 << 20 // /etc/passwd, /etc/group, /etc/services
)

// readFile reads the file name of fsys, refusing one larger than max bytes
// after reading no more than max+1 of it.
func readFile(fsys fs.FS, name string, max int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than %d MiB: not read", max>>20)
	}
	return data, nil
}
