// Package network collects the link-layer facts of the running host's network
// namespace: its interfaces and their MAC addresses ("interfaces" →
// net.interface documents), and the stations it sees ("neighbors" →
// net.neighbor documents) from the kernel's ARP and NDP caches and, with a
// capture block, from ARP/NDP packets heard on the wire or read from a pcap
// file.
//
// These collectors describe live kernel state, not a filesystem: they are
// registered HostOnly, so a --root or --image scan reports them once as not
// applicable. Comparing neighbor MACs with interface MACs across many hosts
// finds devices nobody accounts for; policies/rogue-hosts and
// examples/prometheus do that join. docs/collectors/network.md is the user's
// reference.
package network
