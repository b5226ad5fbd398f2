// Package arpndp decodes the packets in which stations announce their own
// link-layer address — ARP requests and replies, IPv6 neighbor solicitations,
// neighbor advertisements and router advertisements — and keeps a bounded
// table of who was heard, from a live AF_PACKET socket or a pcap/pcapng file.
//
// Decoding uses gopacket's DecodingLayerParser over layers allocated once per
// Decoder, so steady-state decoding allocates nothing per packet: traffic on
// a busy segment, or a large capture file, costs CPU but not garbage.
package arpndp
