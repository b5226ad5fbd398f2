package serve

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"io"
	"sync"
)

// rendered is the last report's exposition, kept both as text and as
// compressed DEFLATE blocks, so a gzip scrape compresses only the few live
// metrics and splices them after the report's blocks: one gzip member whose
// CRC is continued over both parts.
type rendered struct {
	text     []byte
	deflated []byte // DEFLATE blocks of text, sync-flushed, no final block
	crc      uint32 // CRC-32 of text
}

func render(text []byte) (*rendered, error) {
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := fw.Write(text); err != nil {
		return nil, err
	}
	// A sync flush ends on a byte boundary without a final block, so more
	// blocks may follow.
	if err := fw.Flush(); err != nil {
		return nil, err
	}
	return &rendered{text: text, deflated: buf.Bytes(), crc: crc32.ChecksumIEEE(text)}, nil
}

// gzipHeader: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}

var flatePool = sync.Pool{New: func() any {
	fw, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
	return fw
}}

// writeGzip writes one gzip member holding r.text followed by live.
func writeGzip(w io.Writer, r *rendered, live []byte) error {
	var text, deflated []byte
	var crc uint32
	if r != nil {
		text, deflated, crc = r.text, r.deflated, r.crc
	}
	if _, err := w.Write(gzipHeader); err != nil {
		return err
	}
	if _, err := w.Write(deflated); err != nil {
		return err
	}
	fw := flatePool.Get().(*flate.Writer)
	defer flatePool.Put(fw)
	fw.Reset(w)
	if _, err := fw.Write(live); err != nil {
		return err
	}
	if err := fw.Close(); err != nil { // the final block
		return err
	}
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], crc32.Update(crc, crc32.IEEETable, live))
	binary.LittleEndian.PutUint32(trailer[4:], uint32(len(text)+len(live)))
	_, err := w.Write(trailer[:])
	return err
}
