package arpndp_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/assay-dev/assay/collectors/network/arpndp"
	"github.com/assay-dev/assay/collectors/network/arpndp/arpndptest"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func pcapOf(t testing.TB, frames [][]byte, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := arpndptest.WritePcap(&buf, frames, n, t0); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadPcap(t *testing.T) {
	hosts := arpndptest.Hosts(5)
	frames := arpndptest.Mix(hosts)
	tbl := arpndp.NewTable(0)
	c, err := arpndp.ReadPcap(context.Background(), bytes.NewReader(pcapOf(t, frames, 2*len(frames))), tbl)
	if err != nil {
		t.Fatal(err)
	}
	// Per host: ARP request+reply (IPv4), NS+NA (IPv6), one RA from host 0
	// (same IPv6 address). So two entries per host.
	if c.Frames != uint64(2*len(frames)) || c.Malformed != 0 || tbl.Len() != 2*len(hosts) {
		t.Fatalf("frames %d malformed %d entries %d; want %d, 0, %d", c.Frames, c.Malformed, tbl.Len(), 2*len(frames), 2*len(hosts))
	}
	for _, n := range tbl.Neighbors() {
		if n.Packets != 4 && !(n.Router && n.Packets == 6) {
			t.Errorf("%s %s: %d packets", n.MAC, n.IP, n.Packets)
		}
		if !n.FirstSeen.After(t0.Add(-time.Nanosecond)) || !n.LastSeen.After(n.FirstSeen) {
			t.Errorf("%s %s: first %v last %v", n.MAC, n.IP, n.FirstSeen, n.LastSeen)
		}
	}
}

func TestReadPcapNg(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "eth7", LinkType: layers.LinkTypeEthernet, SnapLength: 65535}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	f := arpndptest.ARP(false, macA, ipA4, nil, ipB4)
	if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: t0, CaptureLength: len(f), Length: len(f)}, f); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	tbl := arpndp.NewTable(0)
	c, err := arpndp.ReadPcap(context.Background(), &buf, tbl)
	if err != nil {
		t.Fatal(err)
	}
	ns := tbl.Neighbors()
	if len(ns) != 1 || ns[0].MAC != mac(macA) || c.Interfaces[ns[0].Interface] != "eth7" {
		t.Fatalf("neighbors %+v, interfaces %v", ns, c.Interfaces)
	}
}

func TestReadPcapBad(t *testing.T) {
	good := pcapOf(t, arpndptest.Mix(arpndptest.Hosts(2)), 20)
	var sll bytes.Buffer
	pw := pcapgo.NewWriter(&sll)
	_ = pw.WriteFileHeader(65535, layers.LinkTypeRaw)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "shorter than a file header"},
		{"garbage", []byte("this is not a capture file at all, just text\n"), "not a pcap or pcapng file (magic number"},
		{"header cut", good[:10], "pcap header"},
		{"truncated in a packet", good[:len(good)-5], "truncated after 19 frames"},
		{"unsupported link type", sll.Bytes(), "link type"},
		{"pcapng garbage", append([]byte{0x0a, 0x0d, 0x0d, 0x0a}, bytes.Repeat([]byte{0xee}, 40)...), "pcapng header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := arpndp.ReadPcap(context.Background(), bytes.NewReader(tt.data), arpndp.NewTable(0))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReadPcapCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := arpndp.ReadPcap(ctx, bytes.NewReader(pcapOf(t, arpndptest.Mix(arpndptest.Hosts(1)), 10)), arpndp.NewTable(0))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// BenchmarkReadPcap is the whole offline path: pcap parsing, decoding, the
// table. bench/capture.sh runs the same over a million frames on disk.
func BenchmarkReadPcap(b *testing.B) {
	frames := arpndptest.Shuffle(arpndptest.Mix(arpndptest.Hosts(64)), 1)
	data := pcapOf(b, frames, 100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := arpndp.ReadPcap(context.Background(), bytes.NewReader(data), arpndp.NewTable(0)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*100_000/b.Elapsed().Seconds(), "frames/s")
}
