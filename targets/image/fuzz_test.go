package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// FuzzIndex indexes a fuzzed layer over a small base layer, then walks and
// reads everything. It must never panic or hang, and every name it serves
// must be valid. The corpus is seeded with the hostile layers of the tests.
//
// The input is a layer script (see layerScript), not a raw tar. Go's
// fuzzing engine minimizes every input that finds new coverage, and its
// minimizer tries removing every range of bytes, a pass quadratic in the
// input's length. A raw tar is mostly 512-byte blocks of zeros, kilobytes
// long even for one file, so minimizing a single interesting input took the
// whole -fuzzminimizetime (60 s by default) at a few hundred execs a second;
// the coordinator counts a worker's execs only when it reports back, so the
// run showed 16 execs for minutes while the worker made thousands of calls
// (golang/go#48820). A script of the same layer is tens of bytes, and
// scripts longer than maxScript are not run (so never minimized): a
// minimization costs at most some ten thousand execs. The harness also no
// longer makes a temporary directory per input (the spill file is unlinked
// as soon as it is created, so one directory serves every input) and reuses
// its gzip writer.
func FuzzIndex(f *testing.F) {
	for _, seed := range scriptSeeds(f) {
		f.Add(seed)
	}
	base := tarBytes(f, []ent{dir("etc"), reg("etc/passwd", "root:x:0:0::/root:/bin/sh\n"), symlink("lib", "usr/lib"), dir("usr/lib")})
	tmp := f.TempDir()
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > maxScript {
			return
		}
		data := layerScript(script)
		layers := []*layer{
			{desc: "base", blob: bytes.NewReader(base), size: int64(len(base))},
			{desc: "fuzz", blob: bytes.NewReader(data), size: int64(len(data))},
		}
		opts := Options{TempDir: tmp, MaxSize: 64 << 20, MaxEntries: 10_000, SmallFileSize: 64}.withDefaults()
		img, err := build(t.Context(), layers, opts)
		if err != nil {
			return
		}
		defer img.Close()
		readEverything(t, img)
	})
}

// scriptSeeds are the hostile layers of the tests as layer scripts, plain
// and gzipped.
func scriptSeeds(tb testing.TB) [][]byte {
	scripts := [][]byte{
		encodeScript(0, 0, []ent{reg("../escape", "x"), reg("/abs", "x"), symlink("up", "../../../etc/passwd")}),
		encodeScript(0, 0, []ent{symlink("a", "b"), symlink("b", "a"), hardlink("h", "../x"), hardlink("h2", "etc/passwd")}),
		encodeScript(0, 0, []ent{{Name: "dev/sda", Type: tar.TypeBlock}, {Name: "fifo", Type: tar.TypeFifo}, reg("a", "1"), reg("a", "2")}),
		encodeScript(0, 0, []ent{dir("etc"), {Name: "etc/.wh..wh..opq", Type: tar.TypeReg}, {Name: ".wh.lib", Type: tar.TypeReg}, {Name: "usr/.wh..", Type: tar.TypeReg}}),
		encodeScript(0, 0, []ent{symlink("lib2", "/lib"), reg("lib2/x", "x"), reg("lib/y", "y"), symlink("dangling", "/nowhere")}),
		encodeScript(flagNoEnd, 0, []ent{reg("etc/passwd", "cut before the end blocks")}),
		encodeScript(flagCut, 100, []ent{reg("etc/passwd", "cut in its padding")}),
		append(encodeScript(0, 0, nil), opSparse, 3, 'b', 'i', 'g', 0, 0, 1, 0, 0, 0, 0, 0), // 1 TiB of holes
		append(encodeScript(0, 0, nil), opLongName, 2, 'a', '/', 33, opLongName, 1, 'n', 5), // > PATH_MAX, > NAME_MAX
		append(encodeScript(0, 0, nil), opPAX, 1, 'f', 16, 'G', 'N', 'U', '.', 's', 'p', 'a', 'r', 's', 'e', '.', 'm', 'a', 'j', 'o', 'r', 1, '1'),
		append(encodeScript(0, 0, nil), opTypeflag, 4, 'c', 'o', 'n', 't', tar.TypeCont, opTypeflag, 1, 'z', 'Z', opTypeflag, 1, 'g', tar.TypeXGlobalHeader),
	}
	scripts = append(scripts, append(encodeScript(0, 0, nil), opOldSparse, 3, 'o', 'l', 'd', 0, 0, 0, 1, 0, 0, 0, 0)) // 4 GiB
	var out [][]byte
	for _, s := range scripts {
		out = append(out, s, append([]byte{s[0] | flagGzip}, s[1:]...))
	}
	return out
}

// encodeScript writes entries as a layer script (names and data cut to 255
// bytes); cut is how many bytes flagCut cuts.
func encodeScript(flags, cut byte, ents []ent) []byte {
	out := []byte{flags}
	if flags&flagCut != 0 {
		out = append(out, cut)
	}
	str := func(s string) []byte {
		s = s[:min(len(s), 255)]
		return append([]byte{byte(len(s))}, s...)
	}
	for _, e := range ents {
		switch e.Type {
		case tar.TypeReg:
			out = append(append(append(out, opReg), str(e.Name)...), str(e.Data)...)
		case tar.TypeDir:
			out = append(append(out, opDir), str(e.Name)...)
		case tar.TypeSymlink:
			out = append(append(append(out, opSymlink), str(e.Name)...), str(e.Link)...)
		case tar.TypeLink:
			out = append(append(append(out, opHardlink), str(e.Name)...), str(e.Link)...)
		case tar.TypeFifo, tar.TypeChar, tar.TypeBlock:
			variant := byte(strings.IndexByte(string([]byte{tar.TypeFifo, tar.TypeChar, tar.TypeBlock}), e.Type))
			out = append(append(out, opSpecial+variant*numOps), str(e.Name)...)
		}
	}
	return out
}

// maxScript bounds the scripts FuzzIndex runs, and so the cost of
// minimizing one (quadratic in its length).
const maxScript = 128

// Operations of a layer script.
const (
	opReg       = iota // name, data
	opDir              // name
	opSymlink          // name, link
	opHardlink         // name, link
	opSpecial          // name: a FIFO, a character or a block device
	opWhiteout         // name: .wh.BASE in its directory
	opOpaque           // name: DIR/.wh..wh..opq
	opLongName         // name, count: the name repeated (up to 64 KiB), then "f"
	opPAX              // name, key, value: a file with one PAX record
	opSparse           // name, 8-byte size: a PAX 1.0 sparse file of that size
	opOldSparse        // name, 8-byte size: an old GNU sparse file (typeflag 'S')
	opRaw              // bytes: appended to the stream as they are
	opTypeflag         // name, typeflag: an entry of any type, written by hand
	numOps
)

// Flags of a script's first byte.
const (
	flagGzip  = 1 << iota // gzip the layer
	flagNoEnd             // leave out the end-of-archive blocks
	flagCut               // cut the last N bytes; N is the next byte
)

// layerScript turns a compact fuzz input into a layer blob. After the flags
// byte come entries: an operation byte (op % numOps; op / numOps varies the
// entry: mode bits, device type), then the operation's fields, each a string
// of one length byte and that many bytes (cut short at the end of the
// input). Entries the tar writer refuses are left out.
func layerScript(s []byte) []byte {
	if len(s) == 0 {
		return nil
	}
	flags := s[0]
	r := &scriptReader{b: s[1:]}
	cut := 0
	if flags&flagCut != 0 {
		cut = int(r.byte())
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	write := func(h *tar.Header, data string) {
		h.Size = int64(len(data))
		if h.Typeflag != tar.TypeReg {
			h.Size, data = 0, ""
		}
		if tw.WriteHeader(h) == nil {
			tw.Write([]byte(data))
		}
	}
	for !r.done() {
		op := r.byte()
		variant := int64(op / numOps)
		mode := 0o644 | (variant&7)<<9 // setuid, setgid, sticky
		switch op % numOps {
		case opReg:
			name := r.str()
			write(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode}, r.str())
		case opDir:
			write(&tar.Header{Name: r.str(), Typeflag: tar.TypeDir, Mode: 0o755}, "")
		case opSymlink:
			name := r.str()
			write(&tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: r.str(), Mode: 0o777}, "")
		case opHardlink:
			name := r.str()
			write(&tar.Header{Name: name, Typeflag: tar.TypeLink, Linkname: r.str(), Mode: mode}, "")
		case opSpecial:
			typ := []byte{tar.TypeFifo, tar.TypeChar, tar.TypeBlock}[variant%3]
			write(&tar.Header{Name: r.str(), Typeflag: typ, Mode: 0o600}, "")
		case opWhiteout:
			name := r.str()
			write(&tar.Header{Name: path.Join(path.Dir(name), ".wh."+path.Base(name)), Typeflag: tar.TypeReg, Mode: 0o644}, "")
		case opOpaque:
			write(&tar.Header{Name: path.Join(r.str(), ".wh..wh..opq"), Typeflag: tar.TypeReg, Mode: 0o644}, "")
		case opLongName:
			name := r.str()
			n := int(r.byte())*64 + 1
			if len(name) > 0 {
				n = min(n, (64<<10)/len(name))
			}
			write(&tar.Header{Name: strings.Repeat(name, n) + "f", Typeflag: tar.TypeReg, Mode: mode, Format: tar.FormatPAX}, "x")
		case opPAX:
			name, key, value := r.str(), r.str(), r.str()
			write(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode, PAXRecords: map[string]string{key: value}, Format: tar.FormatPAX}, "x")
		case opSparse:
			name := r.str()
			tw.Flush()
			buf.Write(sparseEntry(name, int64(binary.BigEndian.Uint64(r.fixed(8)))))
		case opOldSparse:
			name := r.str()
			tw.Flush()
			buf.Write(oldSparseEntry(name, int64(binary.BigEndian.Uint64(r.fixed(8)))))
		case opRaw:
			raw := r.str()
			tw.Flush()
			buf.WriteString(raw)
		case opTypeflag:
			name := r.str()
			typ := r.byte()
			tw.Flush()
			buf.Write(rawHeader(name, typ, 0, nil))
		}
	}
	if flags&flagNoEnd != 0 {
		tw.Flush()
	} else {
		tw.Close()
	}
	out := buf.Bytes()
	out = out[:len(out)-min(cut, len(out))]
	if flags&flagGzip != 0 {
		var z bytes.Buffer
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&z)
		zw.Write(out)
		zw.Close()
		gzipWriters.Put(zw)
		out = z.Bytes()
	}
	return out
}

// gzipWriters are reused: a new one allocates about 800 KB, which was a
// fifth of the harness's cost per input.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// scriptReader reads a layer script's fields; past the end, fields are
// empty or zero.
type scriptReader struct{ b []byte }

func (r *scriptReader) done() bool { return len(r.b) == 0 }

func (r *scriptReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *scriptReader) fixed(n int) []byte {
	out := make([]byte, n)
	r.b = r.b[copy(out, r.b):]
	return out
}

func (r *scriptReader) str() string {
	n := min(int(r.byte()), len(r.b))
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// oldSparseEntry is one old GNU sparse file (typeflag 'S') of realsize
// bytes holding one data byte, as oldSparseTar writes, without the end
// blocks.
func oldSparseEntry(name string, realsize int64) []byte {
	t := oldSparseTar(name, realsize)
	return t[:len(t)-1024]
}

// sparseEntry is one GNU sparse file (PAX format 1.0) of realsize bytes
// holding a single data byte, as sparseTar writes, without the end blocks.
func sparseEntry(name string, realsize int64) []byte {
	recs := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
		paxRecord("GNU.sparse.name", name) + paxRecord("GNU.sparse.realsize", strconv.FormatInt(realsize, 10))
	var out []byte
	out = append(out, rawHeader("PaxHeaders/x", tar.TypeXHeader, int64(len(recs)), nil)...)
	out = append(out, pad([]byte(recs))...)
	data := append(pad([]byte("1\n0\n1\n")), 'x')
	out = append(out, rawHeader("GNUSparseFile.0/x", tar.TypeReg, int64(len(data)), nil)...)
	return append(out, pad(data)...)
}

// TestLayerScript checks the fuzz harness itself: the seeds' scripts build
// the hostile layers they stand for.
func TestLayerScript(t *testing.T) {
	seeds := scriptSeeds(t)
	for i, s := range seeds {
		if len(s) > maxScript {
			t.Errorf("seed %d is %d bytes: FuzzIndex does not run scripts over %d", i, len(s), maxScript)
		}
	}
	for _, tc := range []struct {
		seed  int      // index in scriptSeeds, plain; +1 is the same gzipped
		skips []string // substrings of the skip reasons, in order
		err   string   // what the image fails with, if it does
	}{
		{seed: 0, skips: []string{"climbs out", "absolute path"}},
		{seed: 10, err: "end-of-archive marker"},
		{seed: 12, err: "unexpected EOF"},
		{seed: 14, skips: []string{"sparse file of 1099511627776 bytes"}},
		{seed: 16, skips: []string{"longer than 4096", "longer than 255"}},
		{seed: 20, skips: []string{"unsupported tar entry type", "unsupported tar entry type"}},
		{seed: 22, skips: []string{"sparse file of 4294967296 bytes"}},
	} {
		for _, seed := range []int{tc.seed, tc.seed + 1} {
			data := layerScript(seeds[seed])
			img, err := build(t.Context(), []*layer{{desc: "seed", blob: bytes.NewReader(data), size: int64(len(data))}}, Options{TempDir: t.TempDir()}.withDefaults())
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("seed %d: err %v, want %q", seed, err, tc.err)
				}
				continue
			}
			if err != nil {
				t.Errorf("seed %d: %v", seed, err)
				continue
			}
			var got []string
			for _, s := range img.Skips() {
				got = append(got, s.Reason)
			}
			img.Close()
			ok := len(got) == len(tc.skips)
			for i := range min(len(got), len(tc.skips)) {
				ok = ok && strings.Contains(got[i], tc.skips[i])
			}
			if !ok {
				t.Errorf("seed %d: skips %q, want %q", seed, got, tc.skips)
			}
		}
	}
}
