package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

// rawHeader encodes one tar header block by hand, for what archive/tar's
// writer refuses to produce (PAX sparse records, old GNU sparse headers).
func rawHeader(name string, typ byte, size int64, gnu func(blk []byte)) []byte {
	blk := make([]byte, 512)
	copy(blk[0:100], name)
	copy(blk[100:108], "0000644\x00")
	copy(blk[108:116], "0000000\x00")
	copy(blk[116:124], "0000000\x00")
	copy(blk[124:136], fmt.Sprintf("%011o\x00", size))
	copy(blk[136:148], "14000000000\x00")
	blk[156] = typ
	copy(blk[257:265], "ustar\x0000")
	if gnu != nil {
		copy(blk[257:265], "ustar  \x00")
		gnu(blk)
	}
	copy(blk[148:156], "        ")
	sum := 0
	for _, b := range blk {
		sum += int(b)
	}
	copy(blk[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return blk
}

func pad(b []byte) []byte {
	if r := len(b) % 512; r != 0 {
		b = append(b, make([]byte, 512-r)...)
	}
	return b
}

func paxRecord(k, v string) string {
	n := len(k) + len(v) + 3
	for {
		line := fmt.Sprintf("%d %s=%s\n", n, k, v)
		if len(line) == n {
			return line
		}
		n = len(line)
	}
}

// sparseTar is a layer holding one GNU sparse file (PAX format 1.0) of
// realsize bytes with a single data byte: a 1 TiB file fits in 2 kB.
func sparseTar(name string, realsize int64) []byte {
	recs := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
		paxRecord("GNU.sparse.name", name) + paxRecord("GNU.sparse.realsize", fmt.Sprint(realsize))
	var out []byte
	out = append(out, rawHeader("PaxHeaders/x", tar.TypeXHeader, int64(len(recs)), nil)...)
	out = append(out, pad([]byte(recs))...)
	data := append(pad([]byte("1\n0\n1\n")), 'x')
	out = append(out, rawHeader("GNUSparseFile.0/x", tar.TypeReg, int64(len(data)), nil)...)
	out = append(out, pad(data)...)
	return append(out, make([]byte, 1024)...)
}

// oldSparseTar is the same with an old GNU sparse header (typeflag 'S').
func oldSparseTar(name string, realsize int64) []byte {
	var out []byte
	out = append(out, rawHeader(name, tar.TypeGNUSparse, 1, func(blk []byte) {
		copy(blk[386:398], "00000000000\x00") // offset 0
		copy(blk[398:410], "00000000001\x00") // one byte
		copy(blk[483:495], fmt.Sprintf("%011o\x00", realsize))
	})...)
	out = append(out, pad([]byte("x"))...)
	return append(out, make([]byte, 1024)...)
}

// rawImage stacks raw tar layers, gzip-compressed.
func rawImage(t *testing.T, raws ...[]byte) v1.Image {
	t.Helper()
	img := empty.Image
	for _, raw := range raws {
		var err error
		if img, err = mutate.AppendLayers(img, layerOf(t, raw, compression.GZip)); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// TestHostileLayers opens images whose layers attack the reader. Each must
// open, skip (and report) what cannot be taken, and keep every path inside.
func TestHostileLayers(t *testing.T) {
	passwd := reg("etc/passwd", "image passwd\n")
	chain := func(n int) []ent {
		var es []ent
		for i := range n {
			es = append(es, symlink(fmt.Sprintf("c%d", i), fmt.Sprintf("c%d", i+1)))
		}
		return append(es, reg(fmt.Sprintf("c%d", n), "end of chain"))
	}
	readIs := func(name, want string) func(*testing.T, *Image) {
		return func(t *testing.T, img *Image) {
			t.Helper()
			b, err := fs.ReadFile(img, name)
			if err != nil || string(b) != want {
				t.Errorf("read %s = %q, %v; want %q", name, b, err, want)
			}
		}
	}
	absent := func(names ...string) func(*testing.T, *Image) {
		return func(t *testing.T, img *Image) {
			t.Helper()
			for _, n := range names {
				if _, err := img.Lstat(n); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("lstat %s: %v, want not exist", n, err)
				}
			}
		}
	}
	readErr := func(name string, want error) func(*testing.T, *Image) {
		return func(t *testing.T, img *Image) {
			t.Helper()
			if _, err := fs.ReadFile(img, name); !errors.Is(err, want) {
				t.Errorf("read %s: %v, want %v", name, err, want)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		layers [][]byte
		skips  []string // substrings, one per expected skip, in order
		checks []func(*testing.T, *Image)
	}{
		{name: "entries climbing out with ..",
			layers: [][]byte{tarBytes(t, []ent{passwd, reg("../escape", "x"), reg("etc/../../escape", "x"), reg("a/../b", "x")})},
			skips:  []string{"climbs out", "climbs out", "climbs out"},
			checks: []func(*testing.T, *Image){absent("escape", "b"), readIs("etc/passwd", "image passwd\n")}},
		{name: "absolute entry names",
			layers: [][]byte{tarBytes(t, []ent{reg("/etc/abs", "x"), {Name: "/", Type: tar.TypeDir}})},
			skips:  []string{"absolute path", "absolute path"},
			checks: []func(*testing.T, *Image){absent("etc/abs", "etc")}},
		{name: "symlinks pointing out of the root",
			layers: [][]byte{tarBytes(t, []ent{passwd, symlink("up", "../../../../../etc/passwd"), symlink("abs", "/etc/passwd"), symlink("dir", "/../../etc"), symlink("dangling", "/proc/self/root/etc/passwd")})},
			checks: []func(*testing.T, *Image){readIs("up", "image passwd\n"), readIs("abs", "image passwd\n"), readIs("dir/passwd", "image passwd\n"), readErr("dangling", fs.ErrNotExist)}},
		{name: "symlink loops",
			layers: [][]byte{tarBytes(t, []ent{symlink("a", "b"), symlink("b", "a"), symlink("self", "./self"), symlink("dirloop", "dirloop/x")})},
			checks: []func(*testing.T, *Image){readErr("a", syscall.ELOOP), readErr("self", syscall.ELOOP), readErr("dirloop", syscall.ELOOP)}},
		{name: "40 hops resolve, 41 do not",
			layers: [][]byte{tarBytes(t, chain(41))},
			checks: []func(*testing.T, *Image){readIs("c1", "end of chain"), readErr("c0", syscall.ELOOP)}},
		{name: "hard links out of the root",
			layers: [][]byte{tarBytes(t, []ent{passwd, hardlink("h1", "../../etc/passwd"), hardlink("h2", "/etc/passwd"), hardlink("h3", "etc")})},
			skips:  []string{"climbs out", "absolute path", "hard link to a directory"},
			checks: []func(*testing.T, *Image){absent("h1", "h2", "h3")}},
		{name: "hard link to a later layer",
			layers: [][]byte{tarBytes(t, []ent{hardlink("early", "later"), hardlink("forward", "x")}), tarBytes(t, []ent{reg("later", "x"), reg("x", "y")})},
			skips:  []string{"not in this or a lower layer", "not in this or a lower layer"},
			checks: []func(*testing.T, *Image){absent("early", "forward"), readIs("later", "x")}},
		{name: "device nodes and FIFOs",
			layers: [][]byte{tarBytes(t, []ent{dir("dev"), {Name: "dev/sda", Type: tar.TypeBlock, Mode: 0o660}, {Name: "dev/null", Type: tar.TypeChar, Mode: 0o666}, {Name: "fifo", Type: tar.TypeFifo, Mode: 0o600}, symlink("to-null", "/dev/null")})},
			checks: []func(*testing.T, *Image){readErr("dev/sda", target.ErrNotRegular), readErr("dev/null", target.ErrNotRegular), readErr("fifo", target.ErrNotRegular), readErr("to-null", target.ErrNotRegular),
				func(t *testing.T, img *Image) {
					for name, m := range map[string]fs.FileMode{"dev/sda": fs.ModeDevice, "dev/null": fs.ModeCharDevice, "fifo": fs.ModeNamedPipe} {
						if fi, err := img.Lstat(name); err != nil || fi.Mode()&m == 0 {
							t.Errorf("lstat %s: %v %v", name, fi, err)
						}
					}
				}}},
		{name: "duplicate entries",
			layers: [][]byte{tarBytes(t, []ent{reg("a", "first"), reg("a", "second"), dir("d"), dir("d")})},
			skips:  []string{"duplicate entry"},
			checks: []func(*testing.T, *Image){readIs("a", "second")}},
		{name: "entry through a symlinked directory",
			layers: [][]byte{tarBytes(t, []ent{dir("etc"), passwd, symlink("lnk", "/etc"), reg("lnk/evil", "x"), reg("etc/passwd/under-a-file", "x")})},
			skips:  []string{"parent is not a directory", "parent is not a directory"},
			checks: []func(*testing.T, *Image){absent("etc/evil")}},
		{name: "malformed whiteouts",
			layers: [][]byte{tarBytes(t, []ent{dir("d"), reg("d/f", "kept")}), tarBytes(t, []ent{wh("d/.wh.."), wh("d/.wh."), wh("d/.wh..wh.plnk")})},
			skips:  []string{"malformed whiteout", "malformed whiteout"},
			checks: []func(*testing.T, *Image){readIs("d/f", "kept")}},
		{name: "over-long names",
			layers: [][]byte{tarBytes(t, []ent{reg(strings.Repeat("a/", 2100)+"x", "x"), reg(strings.Repeat("n", 300), "x"), symlink("l", strings.Repeat("/x", 2100))})},
			skips:  []string{"longer than 4096", "longer than 255", "longer than 4096"}},
		{name: "huge sparse file (PAX)",
			layers: [][]byte{sparseTar("big", 1<<40), sparseTar("small", 100)},
			skips:  []string{"sparse file of 1099511627776 bytes"},
			checks: []func(*testing.T, *Image){readErr("big", fs.ErrNotExist), func(t *testing.T, img *Image) {
				if fi, err := img.Stat("big"); err != nil || fi.Size() != 1<<40 {
					t.Errorf("stat big: %v %v", fi, err)
				}
				if _, err := fs.ReadFile(img, "big"); err == nil || !strings.Contains(err.Error(), "sparse") {
					t.Errorf("read big: %v, want a sparse-file error", err)
				}
			}, readIs("small", "x"+strings.Repeat("\x00", 99))}},
		{name: "huge sparse file (old GNU)",
			layers: [][]byte{oldSparseTar("big", 1<<32)},
			skips:  []string{"sparse file of 4294967296 bytes"}},
		{name: "unknown entry types",
			layers: [][]byte{tarBytes(t, []ent{{Name: "cont", Type: tar.TypeCont}, {Name: "weird", Type: 'Z'}})},
			skips:  []string{"unsupported tar entry type", "unsupported tar entry type"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "huge sparse file (PAX)" {
				tc.checks[0] = func(*testing.T, *Image) {} // the error is not ErrNotExist; checked below
			}
			tmp := t.TempDir()
			img := mustOpen(t, "oci:"+writeLayout(t, map[string]v1.Image{"": rawImage(t, tc.layers...)}), Options{TempDir: tmp})
			skips := img.Skips()
			if len(skips) != len(tc.skips) || img.SkipsTotal() != len(tc.skips) {
				t.Errorf("skips = %v, want %d: %q", skips, len(tc.skips), tc.skips)
			}
			for i := range min(len(skips), len(tc.skips)) {
				if !strings.Contains(skips[i].Reason, tc.skips[i]) || !strings.Contains(skips[i].Reason, "layer ") {
					t.Errorf("skip %d = %+v, want reason with %q", i, skips[i], tc.skips[i])
				}
			}
			for _, check := range tc.checks {
				check(t, img)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("temp dir holds %d files", len(left))
			}
			readEverything(t, img)
		})
	}
}

// readEverything walks the whole tree and reads every readable file: no
// panic, no hang, whatever the layers held.
func readEverything(t testing.TB, img *Image) {
	_ = fs.WalkDir(img, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if _, err := img.Stat(p); err == nil {
			_, _ = fs.ReadFile(img, p)
		}
		_, _ = img.ReadLink(p)
		return nil
	})
}

// TestMalformedImages must fail to open, with an error that says why.
func TestMalformedImages(t *testing.T) {
	zeros := []ent{{Name: "zeros", Type: tar.TypeReg, Data: string(make([]byte, 64<<20)), Mode: 0o644}}
	many := make([]ent, 20)
	for i := range many {
		many[i] = reg(fmt.Sprintf("f%d", i), "x")
	}
	good := tarBytes(t, []ent{reg("a", strings.Repeat("content ", 1000))})
	layoutOf := func(raws ...[]byte) string {
		return writeLayout(t, map[string]v1.Image{"": rawImage(t, raws...)})
	}
	blobOf := func(dir string, i int) string {
		entries, _ := filepath.Glob(filepath.Join(dir, "blobs", "sha256", "*"))
		for _, e := range entries {
			b, _ := os.ReadFile(e)
			if bytes.HasPrefix(b, gzipMagic) {
				if i == 0 {
					return e
				}
				i--
			}
		}
		t.Fatal("no layer blob")
		return ""
	}
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tc := range []struct {
		name string
		ref  func(t *testing.T) string
		opts Options
		ctx  context.Context
		want error
		msg  string
	}{
		{name: "compression bomb", ref: func(t *testing.T) string { return "oci:" + layoutOf(tarBytes(t, zeros)) },
			opts: Options{MaxSize: 16 << 20}, want: ErrTooLarge, msg: "uncompressed bytes"},
		{name: "too many entries", ref: func(t *testing.T) string { return "oci:" + layoutOf(tarBytes(t, many)) },
			opts: Options{MaxEntries: 10}, want: ErrTooLarge, msg: "more than 10 entries"},
		{name: "canceled", ref: func(t *testing.T) string { return "oci:" + layoutOf(tarBytes(t, zeros)) },
			ctx: canceled, want: context.Canceled},
		{name: "truncated tar", ref: func(t *testing.T) string { return "oci:" + layoutOf(good[:700]) },
			want: ErrMalformed, msg: "unexpected EOF"},
		// A tar ends with two zero blocks. One cut short in that final
		// padding, or right before it, is refused as a truncated gzip
		// stream is: in a compressed layer and in a plain one alike.
		{name: "tar cut in its final padding", ref: func(t *testing.T) string { return "oci:" + layoutOf(good[:len(good)-512]) },
			want: ErrMalformed, msg: "unexpected EOF"},
		{name: "tar without its end-of-archive marker", ref: func(t *testing.T) string { return "oci:" + layoutOf(good[:len(good)-1024]) },
			want: ErrMalformed, msg: "end-of-archive marker"},
		{name: "plain tar cut in its final padding", ref: func(t *testing.T) string { return writeDockerSave(t, rawImage(t, good[:len(good)-512])) },
			want: ErrMalformed, msg: "unexpected EOF"},
		{name: "plain tar without its end-of-archive marker", ref: func(t *testing.T) string { return writeDockerSave(t, rawImage(t, good[:len(good)-1024])) },
			want: ErrMalformed, msg: "end-of-archive marker"},
		{name: "tar cut in the padding of its last file", ref: func(t *testing.T) string { return "oci:" + layoutOf(good[:512+8000+100]) },
			want: ErrMalformed, msg: "unexpected EOF"},
		{name: "plain tar cut in the padding of its last file", ref: func(t *testing.T) string { return writeDockerSave(t, rawImage(t, good[:512+8000+100])) },
			want: ErrMalformed, msg: "unexpected EOF"},
		{name: "not a tar", ref: func(t *testing.T) string { return "oci:" + layoutOf(bytes.Repeat([]byte("garbage!"), 200)) },
			want: ErrMalformed, msg: "read tar"},
		{name: "corrupt gzip", ref: func(t *testing.T) string {
			d := layoutOf(good)
			p := blobOf(d, 0)
			b, _ := os.ReadFile(p)
			for i := 20; i < len(b)-10; i++ {
				b[i] ^= 0x5a
			}
			os.WriteFile(p, b, 0o644)
			return "oci:" + d
		}, want: ErrMalformed, msg: "layer 1"},
		{name: "gzip checksum mismatch", ref: func(t *testing.T) string {
			d := layoutOf(good)
			p := blobOf(d, 0)
			b, _ := os.ReadFile(p)
			b[len(b)-6] ^= 0xff // CRC32 in the gzip trailer
			os.WriteFile(p, b, 0o644)
			return "oci:" + d
		}, want: ErrMalformed, msg: "after the end of the archive"},
		{name: "missing blob", ref: func(t *testing.T) string {
			d := layoutOf(good, good[:0:0])
			os.Remove(blobOf(d, 0))
			return "oci:" + d
		}, want: ErrMalformed, msg: "no such file"},
		{name: "blob shorter than the manifest says", ref: func(t *testing.T) string {
			d := layoutOf(good)
			p := blobOf(d, 0)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
			return "oci:" + d
		}, want: ErrMalformed, msg: "manifest says"},
		{name: "blob is a FIFO", ref: func(t *testing.T) string {
			d := layoutOf(good)
			p := blobOf(d, 0)
			os.Remove(p)
			syscall.Mkfifo(p, 0o644)
			return "oci:" + d
		}, want: ErrMalformed, msg: "not a regular file"},
		{name: "tarball without the layer", ref: func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "image.tar")
			cfg := `{"rootfs":{"type":"layers","diff_ids":["sha256:` + strings.Repeat("a", 64) + `"]}}`
			os.WriteFile(p, tarBytes(t, []ent{reg("config.json", cfg), reg("manifest.json", `[{"Config":"config.json","Layers":["0/layer.tar"]}]`)}), 0o644)
			return p
		}, want: ErrMalformed, msg: "0/layer.tar: not in the tarball"},
		{name: "tarball with two images", ref: func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "image.tar")
			os.WriteFile(p, tarBytes(t, []ent{reg("manifest.json", `[{"Config":"a"},{"Config":"b"}]`)}), 0o644)
			return p
		}, want: ErrMalformed, msg: "lists 2 images"},
		{name: "tarball with a link loop", ref: func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "image.tar")
			os.WriteFile(p, tarBytes(t, []ent{symlink("manifest.json", "m2"), symlink("m2", "manifest.json")}), 0o644)
			return p
		}, want: ErrMalformed, msg: "too many levels"},
		{name: "not a tarball", ref: func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "image.tar")
			os.WriteFile(p, []byte("hello"), 0o644)
			return p
		}, want: ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			tmp := t.TempDir()
			tc.opts.TempDir = tmp
			img, err := Open(ctx, tc.ref(t), tc.opts)
			if err == nil {
				img.Close()
				t.Fatal("opened; want an error")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v; want %v with %q", err, tc.want, tc.msg)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("temp dir holds %d files", len(left))
			}
		})
	}
}

// TestLongNamesBounded is the shape of the hostile-input issue's long-name
// image (3,000 entries with 1 MB names), scaled down: 300 entries whose
// names are 100 KB (PAX records), and some with 100 KB link targets. Each is
// skipped as malformed, counted under one reason, and reported by a short
// prefix: what the image keeps of them, and so a report and its warnings,
// stays small however long the names are. bench/image.sh runs the original.
func TestLongNamesBounded(t *testing.T) {
	const n, links, nameLen = 300, 30, 100 << 10
	// The long names are PAX records written by hand: archive/tar's writer
	// quotes each name while checking it, which costs seconds under -race.
	var raw []byte
	for i := range n {
		rec := paxRecord("path", fmt.Sprintf("%06d", i)+strings.Repeat("n", nameLen))
		raw = append(raw, rawHeader("PaxHeaders/x", tar.TypeXHeader, int64(len(rec)), nil)...)
		raw = append(raw, pad([]byte(rec))...)
		raw = append(raw, rawHeader("short", tar.TypeReg, 1, nil)...)
		raw = append(raw, pad([]byte("x"))...)
	}
	var ents []ent
	for i := range links {
		ents = append(ents, symlink(fmt.Sprintf("l%d", i), strings.Repeat("t", nameLen)))
		ents = append(ents, ent{Name: fmt.Sprintf("r%d", i), Type: tar.TypeReg, Mode: 0o644, Data: "x",
			Hdr: func(h *tar.Header) { h.Linkname = strings.Repeat("r", nameLen) }}) // a link name on a file: kept by nobody
	}
	ents = append(ents, reg("etc/passwd", "root:x:0:0::/root:/bin/sh\n"))
	raw = append(raw, tarBytes(t, ents)...)
	img, err := build(t.Context(), []*layer{{desc: "long names", blob: bytes.NewReader(raw), size: int64(len(raw))}},
		Options{TempDir: t.TempDir(), MaxSkips: 100}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if img.SkipsTotal() != n+links || len(img.Skips()) != 100 {
		t.Fatalf("%d skips listed of %d; want 100 of %d", len(img.Skips()), img.SkipsTotal(), n+links)
	}
	kept := 0
	for _, s := range img.Skips() {
		kept += len(s.Path) + len(s.Reason)
		if len(s.Path) > maxKeptName || len(s.Reason) > 200 {
			t.Errorf("skip keeps %d bytes of path, %d of reason: %.80q…", len(s.Path), len(s.Reason), s.Path)
		}
	}
	if kept > 100*(maxKeptName+200) {
		t.Errorf("the listed skips hold %d bytes", kept)
	}
	want := []report.SkipCount{
		{Reason: "malformed entry: name longer than 4096 bytes (PATH_MAX)", Count: n},
		{Reason: "malformed entry: link target longer than 4096 bytes (PATH_MAX) or with NUL", Count: links},
	}
	if got := img.SkipsByReason(); !reflect.DeepEqual(got, want) {
		t.Errorf("by reason %v, want %v", got, want)
	}
	if s := img.Skips()[0]; !strings.HasPrefix(s.Path, "000000nnn") || !strings.Contains(s.Reason, fmt.Sprintf("%d bytes", nameLen+6)) {
		t.Errorf("first skip %.300q: want the name's prefix and its length", s)
	}
	for i := range links {
		if fi, err := img.Lstat(fmt.Sprintf("r%d", i)); err != nil || !fi.Mode().IsRegular() {
			t.Fatalf("r%d: %v %v", i, fi, err)
		}
	}
	walked := 0
	fs.WalkDir(img, ".", func(string, fs.DirEntry, error) error { walked++; return nil })
	if walked != links+3 { // ., etc, etc/passwd, r0…
		t.Errorf("walked %d entries, want %d", walked, links+3)
	}
}

// TestNameBytesLimit: names and link targets the index keeps are bounded
// in total, as entries are.
func TestNameBytesLimit(t *testing.T) {
	var ents []ent
	for i := range 100 {
		ents = append(ents, reg(fmt.Sprintf("%03d/", i)+strings.Repeat("d/", 1000)+"f", "x"))
	}
	_, err := Open(t.Context(), "oci:"+writeLayout(t, map[string]v1.Image{"": rawImage(t, tarBytes(t, ents))}), Options{TempDir: t.TempDir(), MaxNameBytes: 64 << 10})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "names and link targets of more than 65536 bytes") {
		t.Errorf("err = %v, want ErrTooLarge for names", err)
	}
}

// TestEmptyLayers: a layer blob with no bytes at all is an empty layer, as
// is the gzip of an empty tar docker writes for ENV and LABEL steps; only a
// tar that was cut short is refused.
func TestEmptyLayers(t *testing.T) {
	emptyTar := tarBytes(t, nil)
	img := mustOpen(t, "oci:"+writeLayout(t, map[string]v1.Image{"": rawImage(t, []byte{}, emptyTar, tarBytes(t, []ent{reg("a", "x")}))}), Options{TempDir: t.TempDir()})
	if b, err := fs.ReadFile(img, "a"); err != nil || string(b) != "x" {
		t.Errorf("read a = %q, %v", b, err)
	}
	plain := mustOpen(t, writeDockerSave(t, rawImage(t, []byte{}, emptyTar)), Options{TempDir: t.TempDir()})
	if entries, err := fs.ReadDir(plain, "."); err != nil || len(entries) != 0 {
		t.Errorf("read dir = %v, %v", entries, err)
	}
}

// TestDanglingLinks: a name that does not resolve because a symbolic link
// on its way points nowhere fails with an error that says so (and still
// wraps fs.ErrNotExist); a name that is simply absent does not.
func TestDanglingLinks(t *testing.T) {
	img := mustOpen(t, "oci:"+writeLayout(t, map[string]v1.Image{"": rawImage(t, tarBytes(t, []ent{
		dir("usr/lib"), symlink("lib", "usr/lib"), reg("usr/lib/libc.so", "elf"),
		symlink("etc/localtime", "/usr/share/zoneinfo/Nowhere"),
		symlink("a", "b"), symlink("b", "missing"),
		symlink("d", "/nodir"), symlink("empty", ""),
	}))}), Options{TempDir: t.TempDir()})
	for _, tc := range []struct {
		name     string
		dangling string // what the error says is missing; "" for a plain absent name
	}{
		{"etc/localtime", "/usr/share/zoneinfo/Nowhere"},
		{"a", "missing"},
		{"d/x", "/nodir"},
		{"empty", `""`},
		{"absent", ""},
		{"lib/absent", ""},
		{"usr/lib/absent", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for op, err := range map[string]error{
				"stat": func() error { _, err := img.Stat(tc.name); return err }(),
				"open": func() error { _, err := img.Open(tc.name); return err }(),
			} {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s: %v, want fs.ErrNotExist", op, err)
				}
				says := err != nil && strings.Contains(err.Error(), "dangling symbolic link")
				if says != (tc.dangling != "") || !strings.Contains(err.Error(), tc.dangling) {
					t.Errorf("%s: %v; want dangling %q", op, err, tc.dangling)
				}
			}
		})
	}
	if _, err := img.Lstat("etc/localtime"); err != nil {
		t.Errorf("lstat of the dangling link itself: %v", err)
	}
}
