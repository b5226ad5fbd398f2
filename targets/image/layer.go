package image

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// codec of a layer blob, sniffed from its first bytes: media types
// are not trusted (docker save labels gzip and plain layers alike).
type codec uint8

const (
	plain codec = iota
	gzipped
	zstded
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// maxZstdWindow bounds the memory a zstd frame may ask for.
const maxZstdWindow = 64 << 20

// maxIdleCursors is how many positioned decompressors a layer keeps for
// serving large files.
const maxIdleCursors = 2

// layer is one layer blob, local and random-access (registry layers are
// downloaded first): an uncompressed tar is read in place, a compressed one
// is decompressed again from the start when a large file is read.
type layer struct {
	idx  int32
	desc string // digest or path, for messages
	blob io.ReaderAt
	size int64
	comp codec

	mu     sync.Mutex
	idle   []*cursor
	starts int // decompressions started for reads, for tests
}

func (l *layer) String() string { return fmt.Sprintf("layer %d (%s)", l.idx+1, l.desc) }

func (l *layer) sniff() error {
	head := make([]byte, 4)
	n, err := l.blob.ReadAt(head, 0)
	if n < len(head) && err != nil && err != io.EOF {
		return fmt.Errorf("read: %w", err)
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		l.comp = gzipped
	case bytes.HasPrefix(head, zstdMagic):
		l.comp = zstded
	default:
		l.comp = plain
	}
	return nil
}

// decompress opens the layer's decompressed tar stream from its start.
func (l *layer) decompress() (io.ReadCloser, error) {
	src := io.NewSectionReader(l.blob, 0, l.size)
	switch l.comp {
	case gzipped:
		zr, err := gzip.NewReader(bufio.NewReaderSize(src, 64<<10))
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case zstded:
		zr, err := zstd.NewReader(bufio.NewReaderSize(src, 64<<10),
			zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zstdCloser{zr}, nil
	}
	return io.NopCloser(src), nil
}

type zstdCloser struct{ *zstd.Decoder }

func (z zstdCloser) Close() error { z.Decoder.Close(); return nil }

// indexStream is the stream addLayer reads: for an uncompressed layer a
// seekable reader, so that the tar reader skips file contents without
// reading them; otherwise the decompressed stream, counted and bounded.
func (l *layer) indexStream(ctx context.Context, b *builder) (indexReader, func(), error) {
	if err := l.sniff(); err != nil {
		return nil, nil, err
	}
	if l.comp == plain {
		return &bufSeeker{ctx: ctx, ra: l.blob, size: l.size, b: b}, func() {}, nil
	}
	rc, err := l.decompress()
	if err != nil {
		return nil, nil, err
	}
	return &countReader{ctx: ctx, r: bufio.NewReaderSize(rc, 64<<10), b: b}, func() { rc.Close() }, nil
}

// indexReader is a tar stream that knows its position, and whether a read
// has met its end.
type indexReader interface {
	io.Reader
	positioner
	// ended reports whether a Read has returned io.EOF.
	ended() bool
}

// checkEvery is how many bytes pass between context and limit checks.
const checkEvery = 1 << 20

// countReader counts the bytes the tar reader consumed, checks the context
// and enforces MaxSize over all layers.
type countReader struct {
	ctx     context.Context
	r       io.Reader
	n       int64
	b       *builder
	checked int64
	eof     bool
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.eof = c.eof || err == io.EOF
	c.n += int64(n)
	c.b.total.Add(int64(n))
	if c.n-c.checked >= checkEvery {
		c.checked = c.n
		if err := c.b.check(c.ctx); err != nil {
			return n, err
		}
	}
	return n, err
}

func (c *countReader) pos() int64 { return c.n }

func (c *countReader) ended() bool { return c.eof }

func (b *builder) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.total.Load() > b.opts.MaxSize {
		return fmt.Errorf("more than %d uncompressed bytes: %w", b.opts.MaxSize, ErrTooLarge)
	}
	return nil
}

// bufSeeker reads an uncompressed layer through a buffer and lets the tar
// reader seek over file contents, so indexing reads little more than the
// headers.
type bufSeeker struct {
	ctx     context.Context
	ra      io.ReaderAt
	size    int64
	off     int64 // position of the next byte returned
	buf     []byte
	bufOff  int64 // offset of buf[0]
	b       *builder
	counted int64
	eof     bool
}

func (s *bufSeeker) pos() int64 { return s.off }

func (s *bufSeeker) ended() bool { return s.eof }

func (s *bufSeeker) Read(p []byte) (int, error) {
	if s.off >= s.size {
		s.eof = true
		return 0, io.EOF
	}
	if s.off < s.bufOff || s.off >= s.bufOff+int64(len(s.buf)) {
		if err := s.b.check(s.ctx); err != nil {
			return 0, err
		}
		if s.buf == nil {
			s.buf = make([]byte, 64<<10)
		}
		s.buf = s.buf[:cap(s.buf)]
		n, err := s.ra.ReadAt(s.buf, s.off)
		if n == 0 && err != nil {
			return 0, err
		}
		s.buf, s.bufOff = s.buf[:n], s.off
	}
	n := copy(p, s.buf[s.off-s.bufOff:])
	s.off += int64(n)
	s.account()
	return n, nil
}

func (s *bufSeeker) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += s.off
	case io.SeekEnd:
		offset += s.size
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek to %d: negative position", offset)
	}
	s.off = offset
	s.account()
	return offset, nil
}

// account charges the bytes passed over against MaxSize.
func (s *bufSeeker) account() {
	if s.off > s.counted {
		s.b.total.Add(s.off - s.counted)
		s.counted = s.off
	}
}

// cursor is a decompressor positioned somewhere in a layer's tar stream.
type cursor struct {
	rc  io.ReadCloser
	r   *bufio.Reader
	pos int64
}

func (c *cursor) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.pos += int64(n)
	return n, err
}

// cursorAt returns a cursor at off: an idle one at or before off if there is
// one (collectors mostly read in tree order, which is also tar order, so
// this is usually a short skip), else a fresh decompressor from the start.
// The skip checks ctx every checkEvery bytes.
func (l *layer) cursorAt(ctx context.Context, off int64) (*cursor, error) {
	l.mu.Lock()
	best := -1
	for i, c := range l.idle {
		if c.pos <= off && (best < 0 || c.pos > l.idle[best].pos) {
			best = i
		}
	}
	var c *cursor
	if best >= 0 {
		c = l.idle[best]
		l.idle = append(l.idle[:best], l.idle[best+1:]...)
	}
	l.mu.Unlock()
	if c == nil {
		l.mu.Lock()
		l.starts++
		l.mu.Unlock()
		rc, err := l.decompress()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l, err)
		}
		c = &cursor{rc: rc, r: bufio.NewReaderSize(rc, 32<<10)}
	}
	for c.pos < off {
		if err := ctx.Err(); err != nil {
			c.rc.Close()
			return nil, err
		}
		if _, err := io.CopyN(io.Discard, c, min(off-c.pos, checkEvery)); err != nil {
			c.rc.Close()
			return nil, fmt.Errorf("%s: seek to %d: %w", l, off, err)
		}
	}
	return c, nil
}

// release keeps c for a later read. When too many are idle, the one
// released longest ago goes: a cursor left at the end of the layer by an
// earlier pass over the tree must not push out the one a new pass is
// advancing.
func (l *layer) release(c *cursor) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.idle = append(l.idle, c)
	if len(l.idle) > maxIdleCursors {
		l.idle[0].rc.Close()
		l.idle = append(l.idle[:0], l.idle[1:]...)
	}
}

func (l *layer) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.idle {
		c.rc.Close()
	}
	l.idle = nil
}
