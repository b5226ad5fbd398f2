package network

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/target"
)

// Document kinds.
const (
	KindInterface = "net.interface"
	KindNeighbor  = "net.neighbor"
)

type interfacesCollector struct{}

// Collect emits one net.interface document per link of the scanner's
// network namespace.
func (c *interfacesCollector) Collect(ctx context.Context, env collector.Env, emit collector.Emitter) error {
	if remote(env.Target) {
		return c.collectRemote(ctx, env, emit)
	}
	h, links, err := openLinks()
	if err != nil {
		return err
	}
	defer h.Close()
	addrs, err := h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("list addresses: %w", err)
	}
	byLink := map[int][]any{}
	for _, a := range addrs {
		if a.IPNet != nil {
			byLink[a.LinkIndex] = append(byLink[a.LinkIndex], a.IPNet.String())
		}
	}
	names := linkNames(links)
	host := hostname()
	for _, l := range links {
		if err := ctx.Err(); err != nil {
			return err
		}
		doc := interfaceDocument(l, names, byLink[l.Attrs().Index])
		doc["host"] = host
		sysfsFacts(env.Target, l.Attrs(), doc)
		emit.Emit(doc)
	}
	return nil
}

// openLinks opens a netlink handle in the current network namespace and
// lists its links. The caller closes the handle.
func openLinks() (*netlink.Handle, []netlink.Link, error) {
	h, err := netlink.NewHandle()
	if err != nil {
		return nil, nil, fmt.Errorf("open netlink: %w", err)
	}
	links, err := h.LinkList()
	if err != nil {
		h.Close()
		return nil, nil, fmt.Errorf("list links: %w", err)
	}
	return h, links, nil
}

func linkNames(links []netlink.Link) map[int]string {
	m := make(map[int]string, len(links))
	for _, l := range links {
		m[l.Attrs().Index] = l.Attrs().Name
	}
	return m
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

// interfaceDocument turns a netlink link into a document. Fields that need
// sysfs (addr_assign_type, and "physical" as a kind) are added by sysfsFacts.
func interfaceDocument(l netlink.Link, names map[int]string, addrs []any) document.Document {
	a := l.Attrs()
	if addrs == nil {
		addrs = []any{}
	}
	doc := document.Document{document.FieldKind: KindInterface} // the runner adds the block label
	doc["name"] = a.Name
	doc["index"] = a.Index
	doc["mac"] = macString(a.HardwareAddr)
	doc["permanent_mac"] = macString(a.PermHWAddr)
	doc["mtu"] = a.MTU
	doc["flags"] = linkFlags(a.RawFlags)
	doc["operstate"] = operState(a.OperState)
	doc["link_type"] = a.EncapType
	doc["link_kind"] = linkKind(l)
	doc["master"] = names[a.MasterIndex]
	doc["addrs"] = addrs
	return doc
}

// macString formats an EUI-48 address as `ip link` does; anything else (no
// address, an all-zero one as on loopback, which netlink reports as none, a
// tunnel's IPv4 endpoint, InfiniBand's 20 bytes) is "".
func macString(hw net.HardwareAddr) string {
	if len(hw) != 6 {
		return ""
	}
	return hw.String()
}

// linkKind is the kernel's link kind (IFLA_INFO_KIND: "veth", "bridge",
// "vlan", "bond", "tun", …), or for links without one "loopback",
// "physical" (refined from sysfs) or "other".
func linkKind(l netlink.Link) string {
	switch t := l.Type(); t {
	case "device":
		if l.Attrs().RawFlags&unix.IFF_LOOPBACK != 0 {
			return "loopback"
		}
		return "other"
	case "tuntap":
		return "tun"
	default:
		return t
	}
}

// linkFlags spells the interface flags as `ip link` does, in its order.
func linkFlags(raw uint32) []any {
	out := []any{}
	if raw&unix.IFF_UP != 0 && raw&unix.IFF_RUNNING == 0 {
		out = append(out, "NO-CARRIER")
	}
	for _, f := range flagNames {
		if raw&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

var flagNames = []struct {
	bit  uint32
	name string
}{
	{unix.IFF_LOOPBACK, "LOOPBACK"},
	{unix.IFF_BROADCAST, "BROADCAST"},
	{unix.IFF_POINTOPOINT, "POINTOPOINT"},
	{unix.IFF_MULTICAST, "MULTICAST"},
	{unix.IFF_NOARP, "NOARP"},
	{unix.IFF_ALLMULTI, "ALLMULTI"},
	{unix.IFF_PROMISC, "PROMISC"},
	{unix.IFF_MASTER, "MASTER"},
	{unix.IFF_SLAVE, "SLAVE"},
	{unix.IFF_DEBUG, "DEBUG"},
	{unix.IFF_DYNAMIC, "DYNAMIC"},
	{unix.IFF_AUTOMEDIA, "AUTOMEDIA"},
	{unix.IFF_PORTSEL, "PORTSEL"},
	{unix.IFF_NOTRAILERS, "NOTRAILERS"},
	{unix.IFF_UP, "UP"},
	{unix.IFF_LOWER_UP, "LOWER_UP"},
	{unix.IFF_DORMANT, "DORMANT"},
	{unix.IFF_ECHO, "ECHO"},
}

// operState spells RFC 2863 operational states as `ip link` does.
func operState(s netlink.LinkOperState) string {
	names := [...]string{"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"}
	if int(s) < len(names) {
		return names[s]
	}
	return "UNKNOWN"
}

var addrAssignTypes = map[string]string{"0": "permanent", "1": "random", "2": "stolen", "3": "set"}

// sysfsFacts adds what only sysfs tells: how the MAC was assigned
// (addr_assign_type) and whether a physical device backs the link. Sysfs
// shows the interfaces of the namespace it was mounted in, which may not be
// the scanner's (a process that entered another namespace with setns), so
// nothing is read unless sysfs's ifindex for the name matches netlink's.
func sysfsFacts(t target.Target, a *netlink.LinkAttrs, doc document.Document) {
	doc["addr_assign_type"] = ""
	if t == nil || strings.ContainsAny(a.Name, "/") {
		return
	}
	dir := "sys/class/net/" + a.Name
	idx, err := fs.ReadFile(t, dir+"/ifindex")
	if err != nil || strings.TrimSpace(string(idx)) != strconv.Itoa(a.Index) {
		return
	}
	if b, err := fs.ReadFile(t, dir+"/addr_assign_type"); err == nil {
		doc["addr_assign_type"] = addrAssignTypes[strings.TrimSpace(string(b))]
	}
	if doc["link_kind"] == "other" {
		if _, err := fs.Stat(t, dir+"/device"); err == nil {
			doc["link_kind"] = "physical"
		}
	}
}
