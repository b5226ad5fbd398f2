package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/assay-dev/assay/core/target"
)

// extracted is what mutate.Extract, go-containerregistry's flattener, makes
// of an image: non-directory path → "file:CONTENT" or "link:TARGET", and the
// directories it names. It is the oracle for our index.
func extracted(t *testing.T, img v1.Image) (map[string]string, []string) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	files := map[string]string{}
	hard := map[string]string{}
	var dirs []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("extract: %v", err)
		}
		name := path.Clean(h.Name)
		switch h.Typeflag {
		case tar.TypeDir:
			dirs = append(dirs, name)
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[name] = "file:" + string(b)
		case tar.TypeSymlink:
			files[name] = "link:" + h.Linkname
		case tar.TypeLink:
			hard[name] = path.Clean(h.Linkname)
		}
	}
	// Extract writes the top layer first, so a link may precede its target.
	for name, to := range hard {
		files[name] = files[to]
	}
	return files, dirs
}

// indexed is the same view of our index.
func indexed(t *testing.T, img *Image) (map[string]string, map[string]bool) {
	t.Helper()
	files := map[string]string{}
	dirs := map[string]bool{}
	err := fs.WalkDir(img, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			dirs[p] = true
		case d.Type()&fs.ModeSymlink != 0:
			l, err := img.ReadLink(p)
			if err != nil {
				return err
			}
			files[p] = "link:" + l
		default:
			b, err := fs.ReadFile(img, p)
			if err != nil {
				return err
			}
			files[p] = "file:" + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, dirs
}

func wh(name string) ent { return ent{Name: name, Type: tar.TypeReg} }

// TestFlatten compares the flattened tree with mutate.Extract over the
// layer semantics a runtime implements.
func TestFlatten(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layers [][]ent
	}{
		{"later layer wins", [][]ent{{reg("a", "1")}, {reg("a", "2")}}},
		{"whiteout a file", [][]ent{{dir("d"), reg("d/x", "x"), reg("d/y", "y")}, {wh("d/.wh.x")}}},
		{"whiteout a directory", [][]ent{{dir("d"), dir("d/sub"), reg("d/sub/f", "f"), reg("d/keep", "k")}, {wh("d/.wh.sub")}}},
		{"opaque directory", [][]ent{
			{dir("d"), reg("d/old", "o"), dir("d/sub"), reg("d/sub/deep", "x")},
			{dir("d"), wh("d/.wh..wh..opq"), reg("d/new", "n"), dir("d/sub"), reg("d/sub/fresh", "f")},
		}},
		{"opaque marker after the layer's own entries", [][]ent{
			{dir("d"), reg("d/old", "o")},
			{dir("d"), reg("d/new", "n"), wh("d/.wh..wh..opq")},
		}},
		{"directory replaced by a file", [][]ent{{dir("d"), reg("d/f", "f")}, {reg("d", "now a file")}}},
		{"file replaced by a directory", [][]ent{{reg("f", "file")}, {dir("f"), reg("f/x", "x")}}},
		{"symlink replaced by a file", [][]ent{{symlink("l", "/etc")}, {reg("l", "plain")}}},
		{"hard links", [][]ent{
			{dir("bin"), reg("bin/a", "content of a")},
			{dir("bin"), hardlink("bin/b", "bin/a"), reg("c", "c"), hardlink("c2", "c")},
		}},
		{"implicit parents", [][]ent{{reg("a/b/c/file", "deep")}}},
		{"whiteout then recreate", [][]ent{{reg("x", "1")}, {wh(".wh.x")}, {reg("x", "3")}}},
		{"whiteout of a missing name", [][]ent{{reg("x", "1")}, {wh(".wh.nothing")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := imageOf(t, compression.GZip, tc.layers...)
			wantFiles, wantDirs := extracted(t, img)
			for _, ref := range []string{writeTarball(t, img), writeDockerSave(t, img)} {
				got := mustOpen(t, ref, Options{})
				gotFiles, gotDirs := indexed(t, got)
				if !maps.Equal(gotFiles, wantFiles) {
					t.Errorf("files:\n got %v\nwant %v", gotFiles, wantFiles)
				}
				for _, d := range wantDirs {
					if !gotDirs[d] {
						t.Errorf("directory %s missing; have %v", d, slices.Sorted(maps.Keys(gotDirs)))
					}
				}
			}
		})
	}
}

// TestRandomImage reads every file of go-containerregistry's random images
// and compares with mutate.Extract.
func TestRandomImage(t *testing.T) {
	img, err := random.Image(4096, 3)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := extracted(t, img)
	for _, opts := range []Options{{}, {SpillLimit: -1}, {SmallFileSize: 100}} {
		got, _ := indexed(t, mustOpen(t, writeTarball(t, img), opts))
		if !maps.Equal(got, want) || len(want) == 0 {
			t.Errorf("opts %+v: %d files, want %d equal files", opts, len(got), len(want))
		}
	}
}

// TestHardlinkMetadata checks that hard links share an inode and count.
func TestHardlinkMetadata(t *testing.T) {
	img := mustOpen(t, writeTarball(t, imageOf(t, compression.GZip,
		[]ent{reg("a", "x")}, []ent{hardlink("b", "a"), hardlink("c", "a")})), Options{})
	a, _ := img.Stat("a")
	c, _ := img.Stat("c")
	ia, _ := target.StatOf(a)
	ic, _ := target.StatOf(c)
	if ia.Ino != ic.Ino || ia.Nlink != 3 || ic.Nlink != 3 {
		t.Errorf("a: ino %d nlink %d; c: ino %d nlink %d; want one inode, 3 links", ia.Ino, ia.Nlink, ic.Ino, ic.Nlink)
	}
	if _, err := img.Stat("nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat nope: %v", err)
	}
}

// TestCursorReuse reads a compressed image without spill file three times in
// tree order: each pass must decompress each layer about once, not once per
// file (reading would be quadratic in the layer size).
func TestCursorReuse(t *testing.T) {
	var layers [][]ent
	for l := range 2 {
		var es []ent
		for i := range 200 {
			es = append(es, reg(fmt.Sprintf("l%d/f%03d", l, i), strings.Repeat("x", i*10)))
		}
		layers = append(layers, es)
	}
	img := mustOpen(t, writeTarball(t, imageOf(t, compression.GZip, layers...)), Options{SpillLimit: -1})
	for range 3 {
		indexed(t, img)
	}
	for _, l := range img.layers {
		if l.starts > 3 {
			t.Errorf("%s: %d decompressions for 3 passes, want at most 3", l, l.starts)
		}
	}
}

// TestConcurrentReads reads every file from several goroutines at once, as
// collectors running in parallel do: the cursor pool is shared (run with
// -race).
func TestConcurrentReads(t *testing.T) {
	img, err := random.Image(2048, 2)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := extracted(t, img)
	ref := writeTarball(t, img)
	for _, opts := range []Options{{SpillLimit: -1}, {}} {
		got := mustOpen(t, ref, opts)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for name, w := range want {
					b, err := fs.ReadFile(got, name)
					if err != nil || "file:"+string(b) != w {
						t.Errorf("read %s: %v (content differs: %v)", name, err, "file:"+string(b) != w)
					}
				}
			})
		}
		wg.Wait()
	}
}
