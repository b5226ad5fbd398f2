package arpndp

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Stats counts what a capture went through.
type Stats struct {
	// Frames is every frame read, whatever it carried.
	Frames uint64
	// Sightings is the ARP/NDP announcements decoded.
	Sightings uint64
	// Malformed counts ARP/NDP frames that failed to decode (truncated by
	// the snap length, forged, corrupt); they are skipped.
	Malformed uint64
}

// Capture is the result of reading a capture file.
type Capture struct {
	Stats
	// Interfaces names the interfaces of a pcapng file by the index that
	// Table entries carry; empty for a classic pcap file.
	Interfaces map[int]string
}

// packetReader is what pcapgo's readers and afpacket have in common: a frame
// in a buffer reused by the next call.
type packetReader interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// ReadPcap decodes a pcap or pcapng stream (told apart by its magic number)
// into tbl. A stream that is neither, uses an unsupported link type, or ends
// in the middle of a packet is an error naming what was wrong and how many
// frames were read before it.
func ReadPcap(ctx context.Context, r io.Reader, tbl *Table) (Capture, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, err := br.Peek(4)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return Capture{}, errors.New("not a pcap or pcapng file: shorter than a file header")
		}
		return Capture{}, err
	}
	var (
		src  packetReader
		link layers.LinkType
		ng   *pcapgo.NgReader
	)
	switch m := binary.LittleEndian.Uint32(magic); m {
	case 0x0a0d0d0a: // pcapng section header block, same bytes in both byte orders
		ng, err = pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{})
		if err != nil {
			return Capture{}, fmt.Errorf("pcapng header: %w", err)
		}
		src, link = ng, ng.LinkType()
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1: // µs and ns resolution, both byte orders
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return Capture{}, fmt.Errorf("pcap header: %w", err)
		}
		src, link = pr, pr.LinkType()
	default:
		return Capture{}, fmt.Errorf("not a pcap or pcapng file (magic number %08x)", m)
	}
	dec, err := NewDecoder(link)
	if err != nil {
		return Capture{}, err
	}
	c := Capture{}
	if ng != nil {
		c.Interfaces = map[int]string{}
		for i := range ng.NInterfaces() {
			if ifc, err := ng.Interface(i); err == nil {
				c.Interfaces[i] = ifc.Name
			}
		}
	}
	for {
		if c.Frames&0xfff == 0 && ctx.Err() != nil {
			return c, ctx.Err()
		}
		data, ci, err := src.ZeroCopyReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return c, fmt.Errorf("truncated after %d frames: %w", c.Frames, err)
			}
			return c, fmt.Errorf("after %d frames: %w", c.Frames, err)
		}
		c.Frames++
		c.record(dec, tbl, data, ci)
	}
	if ng != nil {
		// Interfaces may be described after the first packets.
		for i := range ng.NInterfaces() {
			if ifc, err := ng.Interface(i); err == nil {
				c.Interfaces[i] = ifc.Name
			}
		}
	}
	return c, nil
}

// record decodes one frame into tbl.
func (s *Stats) record(dec *Decoder, tbl *Table, data []byte, ci gopacket.CaptureInfo) {
	sg, err := dec.Decode(data)
	switch {
	case err == nil:
		s.Sightings++
		tbl.Add(sg, ci.InterfaceIndex, ci.Timestamp)
	case err != ErrNotNeighbor:
		s.Malformed++
	}
}
