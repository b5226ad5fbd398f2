// Package targettest checks that a target.Target behaves as collectors expect.
// Every target implementation (directory, image) runs Validate over a tree
// built by Fixture, the way go-containerregistry's validate package checks
// every image implementation.
package targettest

import (
	"errors"
	"io"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/assay-dev/assay/core/target"
)

// Entry is one file of the conformance fixture.
type Entry struct {
	Name     string // target name, "etc/passwd"
	Type     string // "file", "dir", "symlink", "fifo"
	Data     string // file content, or link text
	Mode     fs.FileMode
	Expected string // for symlinks: what reading through the link yields ("" = must fail)
}

// Fixture is the tree every target implementation must be able to represent.
// It holds the hostile cases: absolute links that must stay in the root,
// relative links that try to climb out, a loop and a FIFO.
var Fixture = []Entry{
	{Name: "etc", Type: "dir", Mode: 0o755},
	{Name: "etc/passwd", Type: "file", Data: "root:x:0:0:root:/root:/bin/sh\n", Mode: 0o644},
	{Name: "etc/shadow", Type: "file", Data: "root:TARGET-SHADOW:19000::::::\n", Mode: 0o600},
	{Name: "home", Type: "dir", Mode: 0o755},
	{Name: "home/alice", Type: "dir", Mode: 0o700},
	{Name: "home/alice/abs-shadow", Type: "symlink", Data: "/etc/shadow", Expected: "root:TARGET-SHADOW:19000::::::\n"},
	{Name: "home/alice/climb", Type: "symlink", Data: "../../../../../../etc/passwd", Expected: "root:x:0:0:root:/root:/bin/sh\n"},
	{Name: "home/alice/loop-a", Type: "symlink", Data: "loop-b"},
	{Name: "home/alice/loop-b", Type: "symlink", Data: "loop-a"},
	{Name: "home/alice/dangling", Type: "symlink", Data: "/nonexistent"},
}

// Validate checks tgt, which must hold Fixture (plus, optionally, a FIFO at
// "home/alice/fifo" when withFIFO is set).
func Validate(t *testing.T, tgt target.Target, withFIFO bool) {
	t.Helper()
	// fstest checks ReadDir, Stat, Open and Read consistency over the
	// regular part of the tree; the links and the FIFO are checked below.
	t.Run("fstest", func(t *testing.T) {
		if err := fstest.TestFS(onlyRegular{tgt}, "etc/passwd", "etc/shadow"); err != nil {
			t.Error(err)
		}
	})
	t.Run("links stay inside the root", func(t *testing.T) {
		for _, e := range Fixture {
			if e.Type != "symlink" {
				continue
			}
			data, err := fs.ReadFile(tgt, e.Name)
			switch {
			case e.Expected == "" && err == nil:
				t.Errorf("read %s: got %q, want an error", e.Name, data)
			case e.Expected != "" && err != nil:
				t.Errorf("read %s: %v", e.Name, err)
			case e.Expected != "" && string(data) != e.Expected:
				t.Errorf("read %s: got %q, want %q (a link must resolve inside the target root)", e.Name, data, e.Expected)
			}
			link, err := tgt.ReadLink(e.Name)
			if err != nil || link != e.Data {
				t.Errorf("readlink %s = %q, %v; want %q", e.Name, link, err, e.Data)
			}
			fi, err := tgt.Lstat(e.Name)
			if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
				t.Errorf("lstat %s: %v, %v; want a symlink", e.Name, fi, err)
			}
		}
	})
	t.Run("names are confined", func(t *testing.T) {
		for _, bad := range []string{"../etc/passwd", "/etc/passwd", "etc/../../passwd"} {
			if _, err := tgt.Open(bad); err == nil {
				t.Errorf("open %q: want an error for an invalid name", bad)
			}
		}
	})
	if withFIFO {
		t.Run("FIFO is refused without blocking", func(t *testing.T) {
			_, err := tgt.Open("home/alice/fifo")
			if !errors.Is(err, target.ErrNotRegular) {
				t.Errorf("open fifo: %v, want ErrNotRegular", err)
			}
			fi, err := tgt.Lstat("home/alice/fifo")
			if err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
				t.Errorf("lstat fifo: %v %v", fi, err)
			}
		})
	}
	t.Run("stat carries ownership", func(t *testing.T) {
		fi, err := tgt.Stat("etc/shadow")
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 || fi.Size() != int64(len("root:TARGET-SHADOW:19000::::::\n")) {
			t.Errorf("stat etc/shadow: mode %v size %d", fi.Mode(), fi.Size())
		}
		if _, ok := target.StatOf(fi); !ok {
			t.Errorf("stat etc/shadow: no ownership data in Sys()")
		}
	})
}

// onlyRegular hides links and special files so that fstest.TestFS, which
// expects every listed entry to open, checks the regular part of the tree.
type onlyRegular struct{ target.Target }

func (o onlyRegular) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := o.Target.ReadDir(name)
	out := entries[:0]
	for _, e := range entries {
		if e.Type().IsRegular() || e.IsDir() {
			out = append(out, e)
		}
	}
	return out, err
}

func (o onlyRegular) Open(name string) (fs.File, error) {
	f, err := o.Target.Open(name)
	if err != nil {
		return nil, err
	}
	if d, ok := f.(fs.ReadDirFile); ok {
		return &filteredDir{ReadDirFile: d}, nil
	}
	return f, nil
}

type filteredDir struct{ fs.ReadDirFile }

func (d *filteredDir) ReadDir(n int) ([]fs.DirEntry, error) {
	for {
		entries, err := d.ReadDirFile.ReadDir(n)
		out := entries[:0]
		for _, e := range entries {
			if e.Type().IsRegular() || e.IsDir() {
				out = append(out, e)
			}
		}
		if len(out) > 0 || err != nil || n <= 0 {
			if n > 0 && len(out) == 0 && err == nil {
				err = io.EOF
			}
			return out, err
		}
	}
}
