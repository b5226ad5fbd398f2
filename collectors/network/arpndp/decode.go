package arpndp

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Message says which kind of packet a sighting came from.
type Message uint8

// Messages a Decoder reports.
const (
	ARPRequest Message = 1 << iota
	ARPReply
	NeighborSolicitation
	NeighborAdvertisement
	RouterAdvertisement
)

var messageNames = [...]struct {
	m    Message
	name string
}{
	{ARPRequest, "arp_request"},
	{ARPReply, "arp_reply"},
	{NeighborSolicitation, "ndp_ns"},
	{NeighborAdvertisement, "ndp_na"},
	{RouterAdvertisement, "ndp_ra"},
}

// Names lists the messages in m, as documents spell them ("arp_request",
// "ndp_na", …), in a fixed order.
func (m Message) Names() []string {
	var out []string
	for _, n := range messageNames {
		if m&n.m != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// MAC is an EUI-48 address. A fixed array, so that sightings and table keys
// need no allocation.
type MAC [6]byte

// String formats the address as lower-case colon-separated hex, the way
// `ip link` prints it.
func (m MAC) String() string {
	const hexd = "0123456789abcdef"
	var b [17]byte
	for i, v := range m {
		if i > 0 {
			b[i*3-1] = ':'
		}
		b[i*3] = hexd[v>>4]
		b[i*3+1] = hexd[v&0xf]
	}
	return string(b[:])
}

// Sighting is what one packet says about its sender: this link-layer address
// uses this IP address. IP is the zero Addr when the packet names none (an
// ARP probe from 0.0.0.0, duplicate address detection from ::).
type Sighting struct {
	MAC     MAC
	IP      netip.Addr
	Message Message
	// Router is set for router advertisements and for neighbor
	// advertisements with the router flag.
	Router bool
}

// ErrNotNeighbor is returned by Decode for a well-formed packet that carries
// no ARP or NDP announcement (TCP, an echo request, an MLD report, …).
var ErrNotNeighbor = errors.New("not an ARP or NDP packet")

// Decoder decodes packets of one link type. It is not safe for concurrent
// use; make one per goroutine.
type Decoder struct {
	parser *gopacket.DecodingLayerParser
	link   layers.LinkType
	// typeAt and payloadAt are the offsets of the EtherType and of the
	// network layer in a frame of this link type.
	typeAt, payloadAt int
	eth               layers.Ethernet
	sll               layers.LinuxSLL
	sll2              layers.LinuxSLL2
	dot1q             layers.Dot1Q
	arp               layers.ARP
	ip6               layers.IPv6
	icmp6             layers.ICMPv6
	ns                layers.ICMPv6NeighborSolicitation
	na                layers.ICMPv6NeighborAdvertisement
	ra                layers.ICMPv6RouterAdvertisement
	decoded           []gopacket.LayerType
}

// NewDecoder returns a decoder for frames of the given link type: Ethernet,
// or Linux "cooked" SLL/SLL2 (what `tcpdump -i any` writes).
func NewDecoder(link layers.LinkType) (*Decoder, error) {
	d := &Decoder{link: link, decoded: make([]gopacket.LayerType, 0, 8)}
	var first gopacket.LayerType
	var linkLayer gopacket.DecodingLayer
	switch link {
	case layers.LinkTypeEthernet:
		first, linkLayer = layers.LayerTypeEthernet, &d.eth
		d.typeAt, d.payloadAt = 12, 14
	case layers.LinkTypeLinuxSLL:
		first, linkLayer = layers.LayerTypeLinuxSLL, &d.sll
		d.typeAt, d.payloadAt = 14, 16
	case layers.LinkTypeLinuxSLL2:
		first, linkLayer = layers.LayerTypeLinuxSLL2, &d.sll2
		d.typeAt, d.payloadAt = 0, 20
	default:
		return nil, fmt.Errorf("link type %v (%d) is not supported: want Ethernet or Linux SLL", link, int(link))
	}
	d.parser = gopacket.NewDecodingLayerParser(first, linkLayer, &d.dot1q, &d.arp, &d.ip6, &d.icmp6, &d.ns, &d.na, &d.ra)
	// Anything past the layers above (IPv4, TCP, echo requests…) is simply
	// not ours: stop there without building an error value.
	d.parser.IgnoreUnsupported = true
	return d, nil
}

// Decode reports what the packet's sender announces about itself. It returns
// ErrNotNeighbor for packets that announce nothing, and a decoding error for
// a malformed or truncated ARP/NDP packet. It never panics on bad input and,
// once warmed up, never allocates.
func (d *Decoder) Decode(data []byte) (Sighting, error) {
	if !d.maybeNeighbor(data) {
		return Sighting{}, ErrNotNeighbor
	}
	if err := d.parser.DecodeLayers(data, &d.decoded); err != nil {
		return Sighting{}, fmt.Errorf("decode: %w", err)
	}
	if len(d.decoded) == 0 {
		return Sighting{}, ErrNotNeighbor
	}
	switch d.decoded[len(d.decoded)-1] {
	case layers.LayerTypeARP:
		return d.fromARP()
	case layers.LayerTypeICMPv6NeighborSolicitation:
		return d.fromNDP(NeighborSolicitation, d.ip6.SrcIP, d.ns.Options, layers.ICMPv6OptSourceAddress, false)
	case layers.LayerTypeICMPv6NeighborAdvertisement:
		return d.fromNDP(NeighborAdvertisement, d.na.TargetAddress, d.na.Options, layers.ICMPv6OptTargetAddress, d.na.Router())
	case layers.LayerTypeICMPv6RouterAdvertisement:
		return d.fromNDP(RouterAdvertisement, d.ip6.SrcIP, d.ra.Options, layers.ICMPv6OptSourceAddress, true)
	}
	return Sighting{}, ErrNotNeighbor
}

// maybeNeighbor looks at the EtherType before any layer is decoded, the way
// the kernel filter of a live capture does, so that the bulk of the traffic
// (IPv4, TCP) costs a few loads and compares rather than a layer decode.
func (d *Decoder) maybeNeighbor(data []byte) bool {
	typeAt, payloadAt := d.typeAt, d.payloadAt
	if len(data) < payloadAt {
		return false
	}
	et := layers.EthernetType(be16(data[typeAt:]))
	if et == layers.EthernetTypeDot1Q && d.link == layers.LinkTypeEthernet {
		if len(data) < 18 {
			return false
		}
		et, payloadAt = layers.EthernetType(be16(data[16:])), 18
	}
	switch et {
	case layers.EthernetTypeARP:
		return true
	case layers.EthernetTypeIPv6:
		// The next header must be ICMPv6: NDP carries no extension headers,
		// and with a hop limit other than 255 it is not NDP (RFC 4861 §7.1).
		return len(data) >= payloadAt+41 && data[payloadAt+6] == uint8(layers.IPProtocolICMPv6) && data[payloadAt+7] == 255
	}
	return false
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

func (d *Decoder) fromARP() (Sighting, error) {
	a := &d.arp
	if a.AddrType != layers.LinkTypeEthernet || a.Protocol != layers.EthernetTypeIPv4 || a.HwAddressSize != 6 || a.ProtAddressSize != 4 {
		return Sighting{}, ErrNotNeighbor
	}
	var s Sighting
	copy(s.MAC[:], a.SourceHwAddress)
	switch a.Operation {
	case layers.ARPRequest:
		s.Message = ARPRequest
	case layers.ARPReply:
		s.Message = ARPReply
	default:
		return Sighting{}, ErrNotNeighbor
	}
	if ip := netip.AddrFrom4([4]byte(a.SourceProtAddress)); !ip.IsUnspecified() {
		s.IP = ip
	}
	return s, nil
}

// fromNDP takes the link-layer address from the given option (source for
// NS and RA, target for NA) and falls back on the frame's source address
// when the option is absent, as RFC 4861 allows for unicast messages.
func (d *Decoder) fromNDP(m Message, ip []byte, opts layers.ICMPv6Options, want layers.ICMPv6Opt, router bool) (Sighting, error) {
	s := Sighting{Message: m, Router: router}
	found := false
	for _, o := range opts {
		if o.Type == want && len(o.Data) >= 6 {
			copy(s.MAC[:], o.Data[:6])
			found = true
			break
		}
	}
	if !found {
		src, ok := d.linkSource()
		if !ok {
			return Sighting{}, ErrNotNeighbor
		}
		s.MAC = src
	}
	if len(ip) == 16 {
		if a := netip.AddrFrom16([16]byte(ip)); !a.IsUnspecified() {
			s.IP = a
		}
	}
	return s, nil
}

func (d *Decoder) linkSource() (MAC, bool) {
	var m MAC
	switch d.link {
	case layers.LinkTypeEthernet:
		copy(m[:], d.eth.SrcMAC)
		return m, len(d.eth.SrcMAC) == 6
	case layers.LinkTypeLinuxSLL:
		copy(m[:], d.sll.Addr)
		return m, d.sll.AddrLen == 6
	case layers.LinkTypeLinuxSLL2:
		copy(m[:], d.sll2.Addr)
		return m, d.sll2.AddrLength == 6
	}
	return m, false
}
