package network

import (
	"context"
	"fmt"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
)

// Neighbor document sources.
const (
	SourceARPCache = "arp_cache"
	SourceNDPCache = "ndp_cache"
	SourceCapture  = "capture"
)

type neighborsCollector struct {
	cache   bool
	capture *captureSpec
}

// Collect emits the kernel's neighbor cache entries, then what the capture
// heard. A capture that cannot run (no CAP_NET_RAW, a bad file) fails the
// collector with that reason; other collectors carry on.
func (c *neighborsCollector) Collect(ctx context.Context, env collector.Env, emit collector.Emitter) error {
	if remote(env.Target) {
		return c.collectRemote(ctx, env, emit)
	}
	h, links, err := openLinks()
	if err != nil {
		return err
	}
	defer h.Close()
	names := linkNames(links)
	host := hostname()
	if c.cache {
		if err := cacheNeighbors(h, names, host, emit); err != nil {
			return err
		}
	}
	if c.capture != nil {
		if err := c.capture.run(ctx, env, names, host, emit); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
	}
	return nil
}

func cacheNeighbors(h *netlink.Handle, names map[int]string, host string, emit collector.Emitter) error {
	for _, fam := range []struct {
		family int
		source string
	}{{netlink.FAMILY_V4, SourceARPCache}, {netlink.FAMILY_V6, SourceNDPCache}} {
		neighs, err := h.NeighList(0, fam.family)
		if err != nil {
			return fmt.Errorf("list %s neighbors: %w", fam.source, err)
		}
		for _, n := range neighs {
			if doc, ok := neighborDocument(n, names, fam.source); ok {
				doc["host"] = host
				emit.Emit(doc)
			}
		}
	}
	return nil
}

// neighborDocument turns a cache entry into a document, leaving out what
// `ip neigh` leaves out by default: NOARP entries (addresses the kernel
// maps without asking, such as multicast) and entries in state NONE. An
// entry still being resolved, or that failed, has mac "".
func neighborDocument(n netlink.Neigh, names map[int]string, source string) (document.Document, bool) {
	if n.State&unix.NUD_NOARP != 0 || n.State == unix.NUD_NONE || n.IP == nil {
		return nil, false
	}
	doc := document.Document{document.FieldKind: KindNeighbor}
	doc["ip"] = n.IP.String()
	doc["mac"] = macString(n.HardwareAddr)
	doc["interface"] = names[n.LinkIndex]
	doc["state"] = neighState(n.State)
	doc["router"] = n.Flags&unix.NTF_ROUTER != 0
	doc["source"] = source
	return doc, true
}

var neighStates = []struct {
	bit  int
	name string
}{
	{unix.NUD_INCOMPLETE, "INCOMPLETE"},
	{unix.NUD_REACHABLE, "REACHABLE"},
	{unix.NUD_STALE, "STALE"},
	{unix.NUD_DELAY, "DELAY"},
	{unix.NUD_PROBE, "PROBE"},
	{unix.NUD_FAILED, "FAILED"},
	{unix.NUD_NOARP, "NOARP"},
	{unix.NUD_PERMANENT, "PERMANENT"},
}

// neighState names the NUD state as `ip neigh` does; the states are
// exclusive in practice, and would be joined with "," otherwise.
func neighState(s int) string {
	var out []string
	for _, st := range neighStates {
		if s&st.bit != 0 {
			out = append(out, st.name)
		}
	}
	if len(out) == 0 {
		return "NONE"
	}
	return strings.Join(out, ",")
}
