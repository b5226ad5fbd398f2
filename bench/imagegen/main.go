// Command imagegen writes a synthetic container image as a docker-save
// tarball, for bench/image.sh: about -files files totalling about -size
// bytes over -layers layers, mostly small files with a tail of large ones, as
// in a real distribution image. Content is word-like text, so it compresses
// about as well as real files do. With -gzip the layer blobs are gzipped (as
// pulled from a registry); without, they are plain tars (as docker save
// writes them). The output is deterministic for a given -seed.
//
// With -name-len N, the image is instead the hostile one of the
// hostile-input issue: -files empty files in one layer, each named by a PAX
// record of N bytes (3,000 names of 1 MB gzip to about 3 MB).
package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"hash"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

func main() {
	out := flag.String("o", "image.tar", "output docker-save tarball")
	files := flag.Int("files", 50_000, "number of files")
	size := flag.Int64("size", 500<<20, "approximate total content bytes")
	layers := flag.Int("layers", 4, "number of layers")
	gz := flag.Bool("gzip", false, "gzip the layer blobs")
	seed := flag.Uint64("seed", 1, "random seed")
	nameLen := flag.Int("name-len", 0, "write -files empty files with names of this many bytes instead (a hostile image)")
	flag.Parse()
	if *nameLen > 0 {
		*layers, *size = 1, 0
	}
	if err := generate(*out, *files, *size, *layers, *gz, *seed, *nameLen); err != nil {
		log.Fatal(err)
	}
}

// sizes draws file sizes: 98% log-uniform in [64 B, 32 KiB], 2% log-uniform
// in [64 KiB, 2 MiB], then scales the large tail so that the total is near
// want.
func sizes(r *rand.Rand, n int, want int64) []int64 {
	logU := func(lo, hi float64) int64 {
		return int64(math.Exp(math.Log(lo) + r.Float64()*(math.Log(hi)-math.Log(lo))))
	}
	out := make([]int64, n)
	var small, large int64
	for i := range out {
		if i%50 == 49 {
			out[i] = logU(64<<10, 2<<20)
			large += out[i]
		} else {
			out[i] = logU(64, 32<<10)
			small += out[i]
		}
	}
	if large > 0 && want > small {
		f := float64(want-small) / float64(large)
		for i := range out {
			if i%50 == 49 {
				out[i] = max(64<<10+1, int64(float64(out[i])*f))
			}
		}
	}
	return out
}

// text is a pool of word-like bytes that file contents are cut from.
func text(r *rand.Rand) []byte {
	words := make([]string, 512)
	for i := range words {
		b := make([]byte, 2+r.IntN(9))
		for j := range b {
			b[j] = byte('a' + r.IntN(26))
		}
		words[i] = string(b)
	}
	var sb strings.Builder
	for sb.Len() < 8<<20 {
		sb.WriteString(words[r.IntN(len(words))])
		if r.IntN(12) == 0 {
			sb.WriteByte('\n')
		} else {
			sb.WriteByte(' ')
		}
	}
	return []byte(sb.String())
}

type counter struct {
	w io.Writer
	n int64
	h hash.Hash
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}

func generate(out string, nfiles int, size int64, nlayers int, gz bool, seed uint64, nameLen int) error {
	r := rand.New(rand.NewPCG(seed, seed))
	pool := text(r)
	sz := sizes(r, nfiles, size)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	outer := tar.NewWriter(f)
	mtime := time.Unix(1700000000, 0)
	var diffIDs, layerPaths []string
	tmp, err := os.CreateTemp(filepath.Dir(out), "imagegen-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	per := (nfiles + nlayers - 1) / nlayers
	for l := range nlayers {
		// Each layer is written to a temporary file first: the outer tar
		// needs its size before its content.
		if err := tmp.Truncate(0); err != nil {
			return err
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return err
		}
		blob := &counter{w: tmp, h: sha256.New()}
		var w io.Writer = blob
		var zw *gzip.Writer
		if gz {
			zw = gzip.NewWriter(blob)
			w = zw
		}
		diff := &counter{w: w, h: sha256.New()}
		tw := tar.NewWriter(diff)
		if nameLen > 0 {
			if err := longNames(diff, nfiles, nameLen); err != nil {
				return err
			}
		}
		dirs := map[string]bool{}
		for i := l * per; i < min(nfiles, (l+1)*per) && nameLen == 0; i++ {
			dir := fmt.Sprintf("usr/share/pkg%03d/sub%d", i/200, (i/25)%8)
			for _, d := range parents(dir) {
				if !dirs[d] {
					dirs[d] = true
					if err := tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime}); err != nil {
						return err
					}
				}
			}
			n := sz[i]
			off := r.Int64N(int64(len(pool)) - min(n, int64(len(pool))-1))
			if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("%s/file%05d", dir, i), Typeflag: tar.TypeReg, Mode: 0o644, Size: n, ModTime: mtime}); err != nil {
				return err
			}
			for left := n; left > 0; {
				chunk := min(left, int64(len(pool))-off)
				if _, err := tw.Write(pool[off : off+chunk]); err != nil {
					return err
				}
				left -= chunk
				off = 0
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		if zw != nil {
			if err := zw.Close(); err != nil {
				return err
			}
		}
		diffIDs = append(diffIDs, "sha256:"+hex.EncodeToString(diff.h.Sum(nil)))
		p := "blobs/sha256/" + hex.EncodeToString(blob.h.Sum(nil))
		layerPaths = append(layerPaths, p)
		if err := outer.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o644, Size: blob.n, ModTime: mtime}); err != nil {
			return err
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.CopyN(outer, tmp, blob.n); err != nil {
			return err
		}
	}
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Cmd": []string{"/bin/sh"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	sum := sha256.Sum256(cfg)
	cfgPath := "blobs/sha256/" + hex.EncodeToString(sum[:])
	manifest, _ := json.Marshal([]map[string]any{{"Config": cfgPath, "RepoTags": []string{"assay.bench/image:latest"}, "Layers": layerPaths}})
	for _, m := range []struct {
		name string
		data []byte
	}{{cfgPath, cfg}, {"manifest.json", manifest}} {
		if err := outer.WriteHeader(&tar.Header{Name: m.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(m.data)), ModTime: mtime}); err != nil {
			return err
		}
		if _, err := outer.Write(m.data); err != nil {
			return err
		}
	}
	if err := outer.Close(); err != nil {
		return err
	}
	return f.Close()
}

// longNames writes n empty files whose names are size bytes long, each as a
// PAX header block with a path record, then a ustar header. The blocks are
// written by hand: archive/tar's writer quotes each name while checking it.
func longNames(w io.Writer, n, size int) error {
	header := func(name string, typ byte, size int) []byte {
		blk := make([]byte, 512)
		copy(blk, name)
		copy(blk[100:], "0000644\x00")
		copy(blk[108:], "0000000\x00")
		copy(blk[116:], "0000000\x00")
		copy(blk[124:], fmt.Sprintf("%011o\x00", size))
		copy(blk[136:], "14000000000\x00")
		blk[156] = typ
		copy(blk[257:], "ustar\x0000")
		copy(blk[148:], "        ")
		sum := 0
		for _, b := range blk {
			sum += int(b)
		}
		copy(blk[148:], fmt.Sprintf("%06o\x00 ", sum))
		return blk
	}
	for i := range n {
		kv := fmt.Sprintf(" path=file%05d-%s\n", i, strings.Repeat("n", max(size-10, 1)))
		l := len(kv) + len(fmt.Sprint(len(kv)))
		if len(fmt.Sprint(l)) != len(fmt.Sprint(len(kv))) {
			l++
		}
		rec := fmt.Sprint(l) + kv
		rec += string(make([]byte, (512-len(rec)%512)%512))
		for _, b := range [][]byte{header("PaxHeaders/x", tar.TypeXHeader, l), []byte(rec), header("short", tar.TypeReg, 0)} {
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
	}
	return nil
}

// parents lists dir and its ancestors, outermost first.
func parents(dir string) []string {
	var out []string
	for d := dir; d != "."; d = filepath.Dir(d) {
		out = append([]string{d}, out...)
	}
	return out
}
