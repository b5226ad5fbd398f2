// Package safefile is the one way assay writes a file: reports, archives,
// formatted sources, caches. Writes go through a temporary file in the
// same directory and a rename, so a reader (node_exporter's textfile
// collector, a CI upload step) never sees half a file and an interrupted
// run never leaves one.
package safefile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write writes path through write, with permissions perm.
//
// Only a regular file (or a new one) is replaced that way. A symlink is
// followed, so the link stays and its target is replaced. Anything else —
// /dev/null, /dev/stdout, a FIFO a reader waits on — is written in place:
// renaming over it would replace the device itself with a regular file.
func Write(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		path = resolved
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return fmt.Errorf("%s is a directory", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteBytes writes data to path as Write does.
func WriteBytes(path string, perm os.FileMode, data []byte) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
