package arpndp_test

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/assay-dev/assay/collectors/network/arpndp"
	"github.com/assay-dev/assay/collectors/network/arpndp/arpndptest"
)

var (
	macA = net.HardwareAddr{0x52, 0x54, 0x00, 0x00, 0x00, 0x0a}
	macB = net.HardwareAddr{0x52, 0x54, 0x00, 0x00, 0x00, 0x0b}
	ipA4 = netip.MustParseAddr("10.77.0.10")
	ipB4 = netip.MustParseAddr("10.77.0.11")
	ipA6 = netip.MustParseAddr("fd77::a")
	ipB6 = netip.MustParseAddr("fd77::b")
)

func mac(hw net.HardwareAddr) arpndp.MAC { return arpndp.MAC(hw) }

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		frame   []byte
		want    arpndp.Sighting
		wantErr error // nil, or ErrNotNeighbor; "malformed" cases use errAny
	}{
		{"arp request", arpndptest.ARP(false, macA, ipA4, nil, ipB4), arpndp.Sighting{MAC: mac(macA), IP: ipA4, Message: arpndp.ARPRequest}, nil},
		{"arp reply", arpndptest.ARP(true, macB, ipB4, macA, ipA4), arpndp.Sighting{MAC: mac(macB), IP: ipB4, Message: arpndp.ARPReply}, nil},
		{"arp probe from 0.0.0.0", arpndptest.ARP(false, macA, netip.IPv4Unspecified(), nil, ipA4), arpndp.Sighting{MAC: mac(macA), Message: arpndp.ARPRequest}, nil},
		{"neighbor solicitation", arpndptest.NS(macA, ipA6, ipB6), arpndp.Sighting{MAC: mac(macA), IP: ipA6, Message: arpndp.NeighborSolicitation}, nil},
		{"DAD solicitation from ::", arpndptest.NS(macA, netip.IPv6Unspecified(), ipA6), arpndp.Sighting{MAC: mac(macA), Message: arpndp.NeighborSolicitation}, nil},
		{"neighbor advertisement", arpndptest.NA(macB, ipB6, macA, ipA6, false), arpndp.Sighting{MAC: mac(macB), IP: ipB6, Message: arpndp.NeighborAdvertisement}, nil},
		{"router's neighbor advertisement", arpndptest.NA(macB, ipB6, macA, ipA6, true), arpndp.Sighting{MAC: mac(macB), IP: ipB6, Message: arpndp.NeighborAdvertisement, Router: true}, nil},
		{"router advertisement", arpndptest.RA(macB, netip.MustParseAddr("fe80::b")), arpndp.Sighting{MAC: mac(macB), IP: netip.MustParseAddr("fe80::b"), Message: arpndp.RouterAdvertisement, Router: true}, nil},
		{"ipv4 udp", arpndptest.UDP4(macA, macB, ipA4, ipB4, 10), arpndp.Sighting{}, arpndp.ErrNotNeighbor},
		{"icmpv6 echo", arpndptest.Echo6(macA, macB, ipA6, ipB6), arpndp.Sighting{}, arpndp.ErrNotNeighbor},
		{"empty frame", nil, arpndp.Sighting{}, arpndp.ErrNotNeighbor},
		{"runt frame", []byte{1, 2, 3}, arpndp.Sighting{}, arpndp.ErrNotNeighbor},
	}
	dec, err := arpndp.NewDecoder(layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dec.Decode(tt.frame)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Decode error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Decode = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestDecodeMalformed cuts every ARP/NDP frame at every length and flips
// bytes: the decoder must return an error or a sighting, never panic.
func TestDecodeMalformed(t *testing.T) {
	dec, _ := arpndp.NewDecoder(layers.LinkTypeEthernet)
	frames := [][]byte{
		arpndptest.ARP(false, macA, ipA4, nil, ipB4),
		arpndptest.NS(macA, ipA6, ipB6),
		arpndptest.NA(macB, ipB6, macA, ipA6, true),
		arpndptest.RA(macB, ipB6),
	}
	for _, f := range frames {
		for n := range len(f) {
			if _, err := dec.Decode(f[:n]); err == nil && n < 42 {
				t.Errorf("frame cut to %d bytes decoded without error", n)
			}
		}
		for i := range f {
			g := append([]byte(nil), f...)
			g[i] ^= 0xff
			_, _ = dec.Decode(g)
		}
	}
	// An NDP option claiming more bytes than the packet has is truncation.
	na := arpndptest.NA(macB, ipB6, macA, ipA6, false)
	na[len(na)-7] = 4 // option length 32 bytes, 8 present
	if _, err := dec.Decode(na); err == nil || errors.Is(err, arpndp.ErrNotNeighbor) {
		t.Errorf("NA with an overlong option: err = %v, want a decode error", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, fr := range arpndptest.Mix(arpndptest.Hosts(2)) {
		f.Add(fr)
	}
	dec, _ := arpndp.NewDecoder(layers.LinkTypeEthernet)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := dec.Decode(b)
		if err != nil && s != (arpndp.Sighting{}) {
			t.Fatalf("error %v with a non-zero sighting %+v", err, s)
		}
	})
}

func TestNewDecoderUnsupportedLink(t *testing.T) {
	if _, err := arpndp.NewDecoder(layers.LinkTypeRaw); err == nil {
		t.Fatal("NewDecoder(raw IP) succeeded; want an error naming the link type")
	}
}

func TestTableCap(t *testing.T) {
	tbl := arpndp.NewTable(2)
	now := time.Unix(1_700_000_000, 0)
	hosts := arpndptest.Hosts(3)
	for i, h := range hosts {
		ok := tbl.Add(arpndp.Sighting{MAC: arpndp.MAC(h.MAC), IP: h.IP4, Message: arpndp.ARPRequest}, 1, now.Add(time.Duration(i)*time.Second))
		if want := i < 2; ok != want {
			t.Errorf("Add host %d = %v, want %v", i, ok, want)
		}
	}
	// A known MAC with a new address still fits: the cap is on MACs.
	if !tbl.Add(arpndp.Sighting{MAC: arpndp.MAC(hosts[0].MAC), IP: hosts[0].IP6, Message: arpndp.NeighborSolicitation}, 1, now) {
		t.Error("known MAC with a new IP was dropped")
	}
	tbl.Add(arpndp.Sighting{MAC: arpndp.MAC(hosts[0].MAC), IP: hosts[0].IP4, Message: arpndp.ARPReply}, 1, now.Add(time.Minute))
	if tbl.Dropped() != 1 || tbl.Len() != 3 {
		t.Fatalf("Dropped = %d, Len = %d; want 1, 3", tbl.Dropped(), tbl.Len())
	}
	n := tbl.Neighbors()[0]
	wantMAC := arpndp.MAC(hosts[0].MAC)
	if n.MAC != wantMAC || n.IP != hosts[0].IP4 || n.Packets != 2 ||
		!n.FirstSeen.Equal(now) || !n.LastSeen.Equal(now.Add(time.Minute)) || n.Messages != arpndp.ARPRequest|arpndp.ARPReply {
		t.Errorf("first neighbor = %+v", n)
	}
	if got := n.Messages.Names(); len(got) != 2 || got[0] != "arp_request" || got[1] != "arp_reply" {
		t.Errorf("Messages.Names = %v", got)
	}
}

func TestMACString(t *testing.T) {
	m := arpndp.MAC{0x02, 0xab, 0, 0x10, 0xff, 1}
	if got := m.String(); got != "02:ab:00:10:ff:01" {
		t.Errorf("String = %q", got)
	}
}

// BenchmarkDecode decodes a realistic mix of ARP, NDP and other frames into
// a table, as a capture does in steady state: it must not allocate.
func BenchmarkDecode(b *testing.B) {
	frames := arpndptest.Shuffle(arpndptest.Mix(arpndptest.Hosts(64)), 1)
	dec, _ := arpndp.NewDecoder(layers.LinkTypeEthernet)
	tbl := arpndp.NewTable(0)
	now := time.Now()
	for _, f := range frames { // warm up: every neighbor known, option slices grown
		if s, err := dec.Decode(f); err == nil {
			tbl.Add(s, 1, now)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if s, err := dec.Decode(frames[i%len(frames)]); err == nil {
			tbl.Add(s, 1, now)
		}
	}
}

func TestDecodeAllocs(t *testing.T) {
	frames := arpndptest.Mix(arpndptest.Hosts(8))
	dec, _ := arpndp.NewDecoder(layers.LinkTypeEthernet)
	tbl := arpndp.NewTable(0)
	now := time.Now()
	run := func() {
		for _, f := range frames {
			if s, err := dec.Decode(f); err == nil {
				tbl.Add(s, 1, now)
			}
		}
	}
	run()
	if a := testing.AllocsPerRun(20, run); a != 0 {
		t.Errorf("steady-state decoding allocates %.1f times per %d frames; want 0", a, len(frames))
	}
}
