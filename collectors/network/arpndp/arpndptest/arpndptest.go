// Package arpndptest builds ARP, NDP and other Ethernet frames, and pcap
// files of them, for tests and benchmarks of package arpndp.
package arpndptest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Broadcast is the Ethernet broadcast address.
var Broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		panic(fmt.Sprintf("arpndptest: serialize: %v", err)) // inputs are built here, so a bug
	}
	return append([]byte(nil), buf.Bytes()...)
}

// ARP returns an ARP request (reply=false, broadcast) or reply from mac/ip
// to dstMAC/dstIP.
func ARP(reply bool, mac net.HardwareAddr, ip netip.Addr, dstMAC net.HardwareAddr, dstIP netip.Addr) []byte {
	op, ethDst, arpDst := uint16(layers.ARPRequest), Broadcast, net.HardwareAddr{0, 0, 0, 0, 0, 0}
	if reply {
		op, ethDst, arpDst = layers.ARPReply, dstMAC, dstMAC
	}
	src4, dst4 := ip.As4(), dstIP.As4()
	return serialize(
		&layers.Ethernet{SrcMAC: mac, DstMAC: ethDst, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: op, SourceHwAddress: mac, SourceProtAddress: src4[:], DstHwAddress: arpDst, DstProtAddress: dst4[:]},
	)
}

func solicitedNode(ip netip.Addr) (net.IP, net.HardwareAddr) {
	b := ip.As16()
	g := net.IP{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, b[13], b[14], b[15]}
	return g, net.HardwareAddr{0x33, 0x33, 0xff, b[13], b[14], b[15]}
}

func ndp(mac net.HardwareAddr, dstMAC net.HardwareAddr, src, dst net.IP, icmp *layers.ICMPv6, body gopacket.SerializableLayer) []byte {
	ip6 := &layers.IPv6{Version: 6, NextHeader: layers.IPProtocolICMPv6, HopLimit: 255, SrcIP: src, DstIP: dst}
	_ = icmp.SetNetworkLayerForChecksum(ip6)
	return serialize(&layers.Ethernet{SrcMAC: mac, DstMAC: dstMAC, EthernetType: layers.EthernetTypeIPv6}, ip6, icmp, body)
}

// NS returns a neighbor solicitation from mac/src for target, with a source
// link-layer address option (none when src is unspecified, as in DAD).
func NS(mac net.HardwareAddr, src, target netip.Addr) []byte {
	grp, grpMAC := solicitedNode(target)
	ns := &layers.ICMPv6NeighborSolicitation{TargetAddress: target.AsSlice()}
	if !src.IsUnspecified() {
		ns.Options = layers.ICMPv6Options{{Type: layers.ICMPv6OptSourceAddress, Data: mac}}
	}
	return ndp(mac, grpMAC, src.AsSlice(), grp, &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeNeighborSolicitation, 0)}, ns)
}

// NA returns a solicited neighbor advertisement from mac/ip to dstMAC/dst
// with a target link-layer address option.
func NA(mac net.HardwareAddr, ip netip.Addr, dstMAC net.HardwareAddr, dst netip.Addr, router bool) []byte {
	flags := uint8(0x60) // solicited, override
	if router {
		flags |= 0x80
	}
	na := &layers.ICMPv6NeighborAdvertisement{Flags: flags, TargetAddress: ip.AsSlice(),
		Options: layers.ICMPv6Options{{Type: layers.ICMPv6OptTargetAddress, Data: mac}}}
	return ndp(mac, dstMAC, ip.AsSlice(), dst.AsSlice(), &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeNeighborAdvertisement, 0)}, na)
}

// RA returns a router advertisement from mac/ip to all nodes.
func RA(mac net.HardwareAddr, ip netip.Addr) []byte {
	ra := &layers.ICMPv6RouterAdvertisement{HopLimit: 64, RouterLifetime: 1800,
		Options: layers.ICMPv6Options{{Type: layers.ICMPv6OptSourceAddress, Data: mac}}}
	return ndp(mac, net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}, ip.AsSlice(), net.ParseIP("ff02::1"),
		&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeRouterAdvertisement, 0)}, ra)
}

// UDP4 returns an IPv4 UDP datagram: the "other" traffic a capture skips.
func UDP4(mac, dstMAC net.HardwareAddr, src, dst netip.Addr, payload int) []byte {
	ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	udp := &layers.UDP{SrcPort: 40000, DstPort: 53}
	_ = udp.SetNetworkLayerForChecksum(ip4)
	return serialize(&layers.Ethernet{SrcMAC: mac, DstMAC: dstMAC, EthernetType: layers.EthernetTypeIPv4}, ip4, udp, gopacket.Payload(make([]byte, payload)))
}

// Echo6 returns an ICMPv6 echo request: IPv6 and ICMPv6, but not NDP.
func Echo6(mac, dstMAC net.HardwareAddr, src, dst netip.Addr) []byte {
	ip6 := &layers.IPv6{Version: 6, NextHeader: layers.IPProtocolICMPv6, HopLimit: 64, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
	_ = icmp.SetNetworkLayerForChecksum(ip6)
	return serialize(&layers.Ethernet{SrcMAC: mac, DstMAC: dstMAC, EthernetType: layers.EthernetTypeIPv6}, ip6, icmp,
		&layers.ICMPv6Echo{Identifier: 1, SeqNumber: 1}, gopacket.Payload(make([]byte, 56)))
}

// Host is a station of a generated segment.
type Host struct {
	MAC net.HardwareAddr
	IP4 netip.Addr
	IP6 netip.Addr
}

// Hosts returns n stations with locally administered MACs 02:00:00:xx:xx:xx,
// addresses in 10.250.0.0/16 and fd00:250::/64 (never put on a wire here:
// they only fill capture files).
func Hosts(n int) []Host {
	hs := make([]Host, n)
	for i := range hs {
		hs[i] = Host{
			MAC: net.HardwareAddr{0x02, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)},
			IP4: netip.AddrFrom4([4]byte{10, 250, byte(i >> 8), byte(i)}),
			IP6: netip.AddrFrom16([16]byte{0xfd, 0, 0x02, 0x50, 14: byte(i >> 8), 15: byte(i)}),
		}
	}
	return hs
}

// Mix returns the frames of a segment of the given hosts: every kind of
// ARP and NDP message from each, and other traffic, in the proportions of
// a quiet LAN (about half the frames are ARP/NDP, half other).
func Mix(hosts []Host) [][]byte {
	var out [][]byte
	for i, h := range hosts {
		peer := hosts[(i+1)%len(hosts)]
		out = append(out,
			ARP(false, h.MAC, h.IP4, nil, peer.IP4),
			ARP(true, h.MAC, h.IP4, peer.MAC, peer.IP4),
			NS(h.MAC, h.IP6, peer.IP6),
			NA(h.MAC, h.IP6, peer.MAC, peer.IP6, i%7 == 0),
			UDP4(h.MAC, peer.MAC, h.IP4, peer.IP4, 64),
			UDP4(h.MAC, peer.MAC, h.IP4, peer.IP4, 512),
			Echo6(h.MAC, peer.MAC, h.IP6, peer.IP6),
		)
		if i%16 == 0 {
			out = append(out, RA(h.MAC, h.IP6))
		}
	}
	return out
}

// WritePcap writes n frames cycling through frames to w as a classic
// Ethernet pcap file, one microsecond apart from start.
func WritePcap(w io.Writer, frames [][]byte, n int, start time.Time) error {
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	for i := range n {
		f := frames[i%len(frames)]
		ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * time.Microsecond), CaptureLength: len(f), Length: len(f)}
		if err := pw.WritePacket(ci, f); err != nil {
			return err
		}
	}
	return nil
}

// Shuffle returns frames in a random order fixed by seed.
func Shuffle(frames [][]byte, seed uint64) [][]byte {
	out := append([][]byte(nil), frames...)
	r := rand.New(rand.NewPCG(seed, seed))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
