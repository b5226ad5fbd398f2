package network

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/target"
)

// A remote host's network facts come from its kernel's files, read through
// the target like any other (SSH targets: over SFTP, nothing executed):
// interfaces from /sys/class/net, IPv6 addresses from /proc/net/if_inet6,
// IPv4 neighbours from /proc/net/arp. What only netlink tells is left out:
// IPv4 addresses, permanent MACs, the NDP cache, and link kinds sysfs does
// not name (a veth is "other"). docs/collectors/network.md has the table.

// Bounds on what is read remotely: these files are a line per interface or
// neighbour.
const (
	maxRemoteFile       = 4 << 20
	maxRemoteInterfaces = 4096
)

// remote reports whether facts are read through the target's files rather
// than from the scanner's own kernel.
func remote(t target.Target) bool { return t != nil && t.Info().Kind != target.KindHost }

func readRemote(t target.Target, name string) (string, error) {
	b, err := target.ReadFile(t, name, maxRemoteFile)
	return string(b), err
}

func remoteHostname(t target.Target) string {
	for _, name := range []string{"proc/sys/kernel/hostname", "etc/hostname"} {
		if s, err := readRemote(t, name); err == nil && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// remoteLinks lists the interfaces of /sys/class/net by name.
func remoteLinks(t target.Target) ([]string, error) {
	entries, err := t.ReadDir("sys/class/net")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: /sys/class/net is not readable on this target (no sysfs)", collector.ErrNotApplicable)
	}
	if err != nil {
		return nil, fmt.Errorf("list /sys/class/net: %w", err)
	}
	var out []string
	for _, e := range entries {
		if len(out) == maxRemoteInterfaces {
			break
		}
		if !strings.ContainsAny(e.Name(), "/") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

var arphrdTypes = map[string]string{"1": "ether", "772": "loopback", "768": "ipip", "769": "tunnel6", "776": "sit", "778": "gre", "32": "infiniband", "65534": "none"}

func (c *interfacesCollector) collectRemote(ctx context.Context, env collector.Env, emit collector.Emitter) error {
	t := env.Target
	names, err := remoteLinks(t)
	if err != nil {
		return err
	}
	host := remoteHostname(t)
	addrs := remoteIPv6Addrs(t)
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := "sys/class/net/" + name
		a := map[string]string{}
		for _, f := range []string{"address", "ifindex", "mtu", "flags", "operstate", "type", "addr_assign_type", "carrier", "uevent"} {
			if s, err := readRemote(t, dir+"/"+f); err == nil {
				a[f] = strings.TrimSpace(s)
			}
		}
		if a["ifindex"] == "" {
			emit.Skip(target.Abs(dir), errors.New("no ifindex: not an interface"))
			continue
		}
		if m, err := t.ReadLink(dir + "/master"); err == nil {
			a["master"] = path.Base(m)
		}
		if _, err := t.Stat(dir + "/device"); err == nil {
			a["device"] = "1"
		}
		raw64, _ := strconv.ParseUint(strings.TrimPrefix(a["flags"], "0x"), 16, 32)
		raw := uint32(raw64)
		if a["carrier"] == "1" && raw&unix.IFF_UP != 0 {
			raw |= unix.IFF_RUNNING | unix.IFF_LOWER_UP
		}
		index, _ := strconv.Atoi(a["ifindex"])
		mtu, _ := strconv.Atoi(a["mtu"])
		mac := ""
		if hw, err := net.ParseMAC(a["address"]); err == nil && a["address"] != "00:00:00:00:00:00" {
			mac = macString(hw) // loopback's all-zero address is none, as netlink reports it
		}
		kind := "other"
		switch devtype := ueventValue(a["uevent"], "DEVTYPE"); {
		case raw&unix.IFF_LOOPBACK != 0:
			kind = "loopback"
		case devtype != "":
			kind = devtype
		case a["device"] == "1":
			kind = "physical"
		}
		linkType := arphrdTypes[a["type"]]
		if linkType == "" {
			linkType = a["type"]
		}
		ifAddrs := addrs[name]
		if ifAddrs == nil {
			ifAddrs = []any{}
		}
		doc := document.Document{document.FieldKind: KindInterface}
		doc["name"] = name
		doc["index"] = index
		doc["mac"] = mac
		doc["permanent_mac"] = ""
		doc["mtu"] = mtu
		doc["flags"] = linkFlags(raw)
		doc["operstate"] = strings.ToUpper(a["operstate"])
		doc["link_type"] = linkType
		doc["link_kind"] = kind
		doc["master"] = a["master"]
		doc["addrs"] = ifAddrs
		doc["addr_assign_type"] = addrAssignTypes[a["addr_assign_type"]]
		doc["host"] = host
		emit.Emit(doc)
	}
	return nil
}

func ueventValue(uevent, key string) string {
	for _, line := range strings.Split(uevent, "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			return v
		}
	}
	return ""
}

// remoteIPv6Addrs reads /proc/net/if_inet6: "ADDR IFINDEX PREFIXLEN SCOPE
// FLAGS NAME", the address as 32 hex digits.
func remoteIPv6Addrs(t target.Target) map[string][]any {
	s, err := readRemote(t, "proc/net/if_inet6")
	if err != nil {
		return nil
	}
	out := map[string][]any{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 6 || len(f[0]) != 32 {
			continue
		}
		ip, err := hex.DecodeString(f[0])
		if err != nil {
			continue
		}
		plen, err := strconv.ParseUint(f[2], 16, 8)
		if err != nil || plen > 128 {
			continue
		}
		out[f[5]] = append(out[f[5]], (&net.IPNet{IP: ip, Mask: net.CIDRMask(int(plen), 128)}).String())
	}
	return out
}

// ARP flags of /proc/net/arp (<net/if_arp.h>).
const (
	atfCom  = 0x02
	atfPerm = 0x04
)

func (c *neighborsCollector) collectRemote(ctx context.Context, env collector.Env, emit collector.Emitter) error {
	if c.capture != nil {
		return fmt.Errorf("capture: a live capture needs the host it listens on; it does not run on a %s target", env.Target.Info().Kind)
	}
	if !c.cache {
		return nil
	}
	s, err := readRemote(env.Target, "proc/net/arp")
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: /proc/net/arp is not readable on this target (no procfs)", collector.ErrNotApplicable)
	}
	if err != nil {
		return fmt.Errorf("read /proc/net/arp: %w", err)
	}
	host := remoteHostname(env.Target)
	sc := bufio.NewScanner(bytes.NewReader([]byte(s)))
	first := true
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if first { // the header
			first = false
			continue
		}
		// IP address, HW type, Flags, HW address, Mask, Device
		f := strings.Fields(sc.Text())
		if len(f) != 6 {
			emit.Skip("/proc/net/arp", fmt.Errorf("unreadable line %q", sc.Text()))
			continue
		}
		ip := net.ParseIP(f[0])
		flags, err := strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 32)
		if ip == nil || err != nil {
			emit.Skip("/proc/net/arp", fmt.Errorf("unreadable line %q", sc.Text()))
			continue
		}
		mac, state := "", "INCOMPLETE"
		switch {
		case flags&atfPerm != 0:
			state = "PERMANENT"
		case flags&atfCom != 0:
			state = "REACHABLE"
		}
		if hw, err := net.ParseMAC(f[3]); err == nil && state != "INCOMPLETE" {
			mac = macString(hw)
		}
		doc := document.Document{document.FieldKind: KindNeighbor}
		doc["ip"] = ip.String()
		doc["mac"] = mac
		doc["interface"] = f[5]
		doc["state"] = state
		doc["router"] = false
		doc["source"] = SourceARPCache
		doc["host"] = host
		emit.Emit(doc)
	}
	return nil
}
