package image

import (
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
)

// benchRefs builds a 2,000-file image (mostly small files, 2% between
// 64 KiB and 512 KiB) saved both ways: docker-save with plain layers and a
// tarball with gzip layers.
func benchRefs(b *testing.B) map[string]string {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 1))
	words := strings.Fields("the quick brown fox jumps over lazy dog lorem ipsum dolor sit amet consectetur adipiscing elit")
	var sb strings.Builder
	for sb.Len() < 1<<20 {
		sb.WriteString(words[r.IntN(len(words))] + " ")
	}
	pool := sb.String()
	var layers [][]ent
	for l := range 2 {
		var es []ent
		for i := range 1000 {
			n := 64 + r.IntN(16<<10)
			if i%50 == 0 {
				n = 64<<10 + r.IntN(448<<10)
			}
			off := r.IntN(len(pool) - n)
			es = append(es, reg(fmt.Sprintf("usr/share/l%d/d%02d/f%04d", l, i/50, i), pool[off:off+n]))
		}
		layers = append(layers, es)
	}
	img := imageOf(b, compression.GZip, layers...)
	return map[string]string{"plain": writeDockerSave(b, img), "gzip": writeTarball(b, img)}
}

// BenchmarkIndex measures Open: reading every layer once and building the
// index.
func BenchmarkIndex(b *testing.B) {
	refs := benchRefs(b)
	for _, kind := range []string{"plain", "gzip"} {
		b.Run(kind, func(b *testing.B) {
			for b.Loop() {
				img, err := Open(b.Context(), refs[kind], Options{TempDir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				img.Close()
			}
		})
	}
}

// BenchmarkRead measures reading every file of an open image, in tree order,
// with and without the spill file (without it, every small file of a gzip
// layer costs a decompression from a cursor).
func BenchmarkRead(b *testing.B) {
	refs := benchRefs(b)
	for _, tc := range []struct {
		kind string
		opts Options
	}{{"plain", Options{}}, {"gzip", Options{}}, {"gzip-nospill", Options{SpillLimit: -1}}} {
		b.Run(tc.kind, func(b *testing.B) {
			tc.opts.TempDir = b.TempDir()
			img, err := Open(b.Context(), refs[strings.TrimSuffix(tc.kind, "-nospill")], tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			defer img.Close()
			var total int64
			for b.Loop() {
				total = 0
				err := fs.WalkDir(img, ".", func(p string, d fs.DirEntry, err error) error {
					if err != nil || !d.Type().IsRegular() {
						return err
					}
					f, err := img.Open(p)
					if err != nil {
						return err
					}
					n, err := io.Copy(io.Discard, f)
					f.Close()
					total += n
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(total)
		})
	}
}
