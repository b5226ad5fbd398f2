package file

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/assay-dev/assay/internal/safefile"
)

// Limits on what a document carries about content matches.
const (
	maxMatchedLines   = 1000 // line numbers listed in match.content.matched_lines
	maxMismatchLength = 4096 // bytes of the first mismatching line kept
)

// errTooLarge is wrapped when a file exceeds max_file_size.
var errTooLarge = errors.New("larger than max_file_size")

// contentResult is what one read of a file found.
type contentResult struct {
	lines         int
	matchedLines  []int
	matchedTrunc  bool
	firstMismatch int // 1-based; 0: none
	mismatchText  string
	anyMatch      []bool // per content regex: matched at least one line
	allOK         bool   // every line satisfied every content regex
	complete      bool   // the whole file was read
	longLines     bool
	captured      []string
	captureBytes  int64
	captureTrunc  bool
	invalidUTF8   bool
	binary        bool
	compressed    string
	digests       map[string]string
	bytesRead     int64
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// read streams a file once: raw bytes into the hashers, and (decompressed
// when asked) lines into the content regexes and the capture. It reads at most
// s.maxFileSize bytes (errTooLarge beyond), and stops with ctx's error when
// ctx ends: the context is checked before each block read from the file and
// from the decompressor.
func (s *search) read(ctx context.Context, r io.Reader) (*contentResult, error) {
	c := &contentResult{allOK: true, complete: true, anyMatch: make([]bool, len(s.contents))}
	var hashers []hash.Hash
	for _, a := range s.compute {
		hashers = append(hashers, hashAlgos[a].new())
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp

	counted := &countingReader{r: io.LimitReader(ctxReader{ctx, r}, safefile.Past(s.maxFileSize)), hashers: hashers}
	wantLines := len(s.contents) > 0 || s.capture
	var err error
	if !wantLines {
		err = drain(counted, buf)
	} else {
		var src io.Reader = counted
		if s.decompress {
			br := bufio.NewReaderSize(counted, 64<<10)
			if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
				zr, zerr := gzip.NewReader(br)
				if zerr != nil {
					return nil, fmt.Errorf("decompress: %w", zerr)
				}
				defer zr.Close()
				c.compressed = "gzip"
				// A decompression bomb stops at max_file_size of output,
				// or at the deadline: a block of input can expand a
				// thousandfold.
				src = ctxReader{ctx, io.LimitReader(zr, s.maxFileSize)}
			} else {
				src = br
			}
		}
		err = s.scanLines(src, buf, c)
		if err == nil && !c.complete && len(hashers) > 0 {
			// Content decided early, but the digests need every byte.
			c.complete = true
			err = drain(counted, buf)
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if counted.n > s.maxFileSize {
		return nil, fmt.Errorf("%w (%d bytes): %w", errTooLarge, s.maxFileSize, errStop)
	}
	c.bytesRead = counted.n
	if len(hashers) > 0 {
		c.digests = make(map[string]string, len(hashers))
		for i, a := range s.compute {
			c.digests[a] = hex.EncodeToString(hashers[i].Sum(nil))
		}
	}
	return c, nil
}

// errStop marks a read that was abandoned on purpose.
var errStop = errors.New("not read")

// scanLines splits src into lines ("\n" ends a line; a last line without one
// counts) and applies the content regexes and the capture to each. A line
// longer than maxLineBytes is judged and captured on its first maxLineBytes.
func (s *search) scanLines(src io.Reader, buf []byte, c *contentResult) error {
	var line []byte
	lineLong := false
	// Reading may stop at the first decisive line when nothing else needs
	// the rest of the file.
	canStop := !s.capture && !s.reportAll
	undecided := len(s.contents)
	done := func(l []byte) bool {
		c.lines++
		n := c.lines
		if bytes.IndexByte(l, 0) >= 0 {
			c.binary = true
		}
		ok := true
		for i, p := range s.contents {
			m := p.regexp().Match(l)
			if m && !c.anyMatch[i] {
				c.anyMatch[i] = true
				undecided--
			}
			if m == p.invert {
				ok = false
			}
		}
		if ok {
			if len(c.matchedLines) < maxMatchedLines {
				c.matchedLines = append(c.matchedLines, n)
			} else {
				c.matchedTrunc = true
			}
		} else {
			c.allOK = false
			if c.firstMismatch == 0 {
				c.firstMismatch = n
				t := l
				if len(t) > maxMismatchLength {
					t = t[:maxMismatchLength]
				}
				c.mismatchText = validUTF8(t, c)
			}
		}
		if s.capture && !c.captureTrunc {
			if c.captureBytes+int64(len(l)) > s.maxContent {
				c.captureTrunc = true
			} else {
				c.captureBytes += int64(len(l)) + 1
				c.captured = append(c.captured, validUTF8(l, c))
			}
		}
		if canStop && len(s.contents) > 0 {
			if s.macroal && !c.allOK {
				return true
			}
			if !s.macroal && undecided == 0 {
				return true
			}
		}
		return false
	}
	for {
		n, err := src.Read(buf)
		chunk := buf[:n]
		for len(chunk) > 0 {
			i := bytes.IndexByte(chunk, '\n')
			part := chunk
			if i >= 0 {
				part = chunk[:i]
				chunk = chunk[i+1:]
			} else {
				chunk = nil
			}
			var l []byte
			if len(line) == 0 && i >= 0 && len(part) <= maxLineBytes {
				l = part // the common case: no copy
			} else {
				room := maxLineBytes - len(line)
				if len(part) > room {
					part = part[:room]
					lineLong = true
				}
				line = append(line, part...)
				if i < 0 {
					continue
				}
				l = line
			}
			if lineLong {
				c.longLines = true
			}
			stop := done(l)
			line, lineLong = line[:0], false
			if stop {
				c.complete = false
				return nil
			}
		}
		if err == io.EOF {
			if len(line) > 0 || lineLong {
				if lineLong {
					c.longLines = true
				}
				done(line)
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func validUTF8(b []byte, c *contentResult) string {
	if utf8.Valid(b) {
		return string(b)
	}
	c.invalidUTF8 = true
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// ctxReader ends a read when ctx ends. It checks before each block, which
// the callers bound (the 256 KiB read buffer), so that hashing a 200 GB
// file stops within one block of its deadline instead of running on,
// abandoned, for minutes.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// countingReader feeds what it reads to the hashers and counts it.
type countingReader struct {
	r       io.Reader
	hashers []hash.Hash
	n       int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n += int64(n)
		for _, h := range c.hashers {
			h.Write(p[:n])
		}
	}
	return n, err
}

// drain reads r to its end through buf (io.Discard's ReadFrom would use
// small buffers and so more system calls).
func drain(r io.Reader, buf []byte) error {
	for {
		_, err := r.Read(buf)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
