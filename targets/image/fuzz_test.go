package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"testing"
)

// FuzzIndex indexes arbitrary bytes as a two-layer image (the input over a
// small base layer), then walks and reads everything. It must never panic or
// hang, and every name it serves must be valid. The corpus is seeded with
// the hostile layers of the tests.
func FuzzIndex(f *testing.F) {
	for _, seed := range hostileSeeds(f) {
		f.Add(seed)
	}
	base := tarBytes(f, []ent{dir("etc"), reg("etc/passwd", "root:x:0:0::/root:/bin/sh\n"), symlink("lib", "usr/lib"), dir("usr/lib")})
	f.Fuzz(func(t *testing.T, data []byte) {
		layers := []*layer{
			{desc: "base", blob: bytes.NewReader(base), size: int64(len(base))},
			{desc: "fuzz", blob: bytes.NewReader(data), size: int64(len(data))},
		}
		opts := Options{TempDir: t.TempDir(), MaxSize: 64 << 20, MaxEntries: 10_000, SmallFileSize: 64}.withDefaults()
		img, err := build(t.Context(), layers, opts)
		if err != nil {
			return
		}
		defer img.Close()
		readEverything(t, img)
	})
}

// hostileSeeds are layer tars from the hostile cases, plain and gzipped.
func hostileSeeds(tb testing.TB) [][]byte {
	raws := [][]byte{
		tarBytes(tb, []ent{reg("../escape", "x"), reg("/abs", "x"), symlink("up", "../../../etc/passwd")}),
		tarBytes(tb, []ent{symlink("a", "b"), symlink("b", "a"), hardlink("h", "../x"), hardlink("h2", "etc/passwd")}),
		tarBytes(tb, []ent{{Name: "dev/sda", Type: tar.TypeBlock}, {Name: "fifo", Type: tar.TypeFifo}, reg("a", "1"), reg("a", "2")}),
		tarBytes(tb, []ent{dir("etc"), {Name: "etc/.wh..wh..opq", Type: tar.TypeReg}, {Name: ".wh.lib", Type: tar.TypeReg}, {Name: "usr/.wh..", Type: tar.TypeReg}}),
		tarBytes(tb, []ent{symlink("lib2", "/lib"), reg("lib2/x", "x"), reg("lib/y", "y")}),
		sparseTar("big", 1<<40),
		oldSparseTar("old", 1<<32),
	}
	out := append([][]byte{}, raws...)
	for _, r := range raws {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(r)
		zw.Close()
		out = append(out, buf.Bytes())
	}
	return out
}
