package arpndp

import (
	"net/netip"
	"sort"
	"time"
)

// Neighbor is one station heard: a link-layer address using an IP address,
// on one interface.
type Neighbor struct {
	MAC MAC
	// IP is the zero Addr when the station was only heard without an address
	// of its own (ARP probes, duplicate address detection).
	IP netip.Addr
	// Interface is the capturing interface's index (0 when unknown, as for
	// a classic pcap file).
	Interface int
	FirstSeen time.Time
	LastSeen  time.Time
	// Packets counts the announcements heard.
	Packets uint64
	// Messages is the set of message kinds heard.
	Messages Message
	// Router is set once the station has announced itself as a router.
	Router bool
}

type tableKey struct {
	mac   MAC
	ip    netip.Addr
	iface int
}

// Table accumulates sightings, bounded by the number of distinct MAC
// addresses: a flood of forged addresses costs a counter, not memory.
// It is not safe for concurrent use.
type Table struct {
	maxMACs int
	entries map[tableKey]Neighbor
	macs    map[MAC]struct{}
	// dropped counts sightings of new MACs refused once the cap was reached.
	dropped uint64
}

// NewTable returns a table that records at most maxMACs distinct MAC
// addresses (maxMACs <= 0 means 4096).
func NewTable(maxMACs int) *Table {
	if maxMACs <= 0 {
		maxMACs = 4096
	}
	return &Table{maxMACs: maxMACs, entries: map[tableKey]Neighbor{}, macs: map[MAC]struct{}{}}
}

// Add records a sighting made at time ts on interface ifindex. It returns
// false when the sighting was dropped because the cap on distinct MACs was
// reached. Adding a sighting of a known neighbor allocates nothing.
func (t *Table) Add(s Sighting, ifindex int, ts time.Time) bool {
	k := tableKey{mac: s.MAC, ip: s.IP, iface: ifindex}
	n, ok := t.entries[k]
	if !ok {
		if _, known := t.macs[s.MAC]; !known {
			if len(t.macs) >= t.maxMACs {
				t.dropped++
				return false
			}
			t.macs[s.MAC] = struct{}{}
		}
		n = Neighbor{MAC: s.MAC, IP: s.IP, Interface: ifindex, FirstSeen: ts}
	}
	if ts.Before(n.FirstSeen) {
		n.FirstSeen = ts
	}
	if ts.After(n.LastSeen) {
		n.LastSeen = ts
	}
	n.Packets++
	n.Messages |= s.Message
	n.Router = n.Router || s.Router
	t.entries[k] = n
	return true
}

// Dropped returns how many sightings were refused because the cap on
// distinct MACs had been reached; non-zero means the table is incomplete.
func (t *Table) Dropped() uint64 { return t.dropped }

// MaxMACs returns the cap on distinct MAC addresses.
func (t *Table) MaxMACs() int { return t.maxMACs }

// Len returns the number of distinct (MAC, IP, interface) entries.
func (t *Table) Len() int { return len(t.entries) }

// Neighbors returns the entries sorted by interface, MAC and IP, so that
// documents come out in a stable order.
func (t *Table) Neighbors() []Neighbor {
	out := make([]Neighbor, 0, len(t.entries))
	for _, n := range t.entries {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Interface != b.Interface {
			return a.Interface < b.Interface
		}
		if a.MAC != b.MAC {
			return string(a.MAC[:]) < string(b.MAC[:])
		}
		return a.IP.Less(b.IP)
	})
	return out
}
