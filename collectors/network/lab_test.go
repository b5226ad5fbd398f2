package network

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/internal/testenv"
)

// The lab: a switch namespace with a bridge, and one namespace per host,
// each with an eth0 whose veth peer is a bridge port. Every address lives
// only inside these namespaces; nothing touches the machine's own
// interfaces.

type labHost struct {
	name, ns, mac, ip4, ip6 string
}

type lab struct {
	t      *testing.T
	sw     string
	known  []labHost // h1 observes; h1..h3 are declared
	rogue  labHost
	prefix string
}

func requireLab(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t, "the network-namespace lab creates namespaces and captures in them")
	testenv.RequireCapability(t, testenv.CapSysAdmin, "ip netns add and unshare --uts")
	testenv.RequireCapability(t, testenv.CapNetAdmin, "the lab's bridge, veths and addresses")
	testenv.RequireCapability(t, testenv.CapNetRaw, "live capture, arping and tcpdump")
	for _, tool := range [][2]string{{"unshare", "util-linux"}, {"ip", "iproute2"}, {"sysctl", "procps"}, {"arping", "iputils-arping"}, {"ping", "iputils-ping"}, {"tcpdump", "tcpdump"}} {
		testenv.RequireTool(t, tool[0], tool[1])
	}
}

func newLab(t *testing.T) *lab {
	t.Helper()
	l := &lab{t: t, prefix: fmt.Sprintf("assaynm-%d-%04x", os.Getpid(), rand.N(0x10000))}
	l.sw = l.addNS("sw")
	// The switch has no addresses: no IPv6 on it, so it announces nothing.
	l.nsExec(l.sw, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	l.ip("-n", l.sw, "link", "add", "br0", "type", "bridge")
	l.ip("-n", l.sw, "link", "set", "br0", "up")
	for i := 1; i <= 3; i++ {
		l.known = append(l.known, l.addHost(fmt.Sprintf("h%d", i), i, fmt.Sprintf("00:16:3e:77:00:%02x", i)))
	}
	l.rogue = l.addHost("rogue", 66, "00:16:3e:66:00:66")
	return l
}

func (l *lab) addNS(role string) string {
	ns := l.prefix + "-" + role
	l.ip("netns", "add", ns)
	l.t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			l.t.Errorf("ip netns del %s: %v: %s", ns, err, out)
		}
	})
	return ns
}

func (l *lab) addHost(name string, n int, mac string) labHost {
	h := labHost{name: name, ns: l.addNS(name), mac: mac, ip4: fmt.Sprintf("10.77.0.%d", n), ip6: fmt.Sprintf("fd77::%x", n)}
	// No duplicate address detection and no router solicitations: the
	// namespaces stay silent until the test speaks, so two captures that
	// start a moment apart hear the same thing.
	l.nsExec(h.ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.default.router_solicitations=0")
	port := "p" + name
	l.ip("-n", l.sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", h.ns)
	l.ip("-n", l.sw, "link", "set", port, "master", "br0", "up")
	l.ip("-n", h.ns, "link", "set", "eth0", "address", mac)
	l.ip("-n", h.ns, "addr", "add", h.ip4+"/24", "dev", "eth0")
	l.ip("-n", h.ns, "addr", "add", h.ip6+"/64", "dev", "eth0", "nodad")
	l.ip("-n", h.ns, "link", "set", "lo", "up")
	l.ip("-n", h.ns, "link", "set", "eth0", "up")
	return h
}

func (l *lab) ip(args ...string) []byte {
	l.t.Helper()
	out, err := exec.Command("ip", args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, msg)
	}
	return out
}

func (l *lab) nsExec(ns string, args ...string) []byte {
	l.t.Helper()
	return l.ip(append([]string{"netns", "exec", ns}, args...)...)
}

// traffic: ARP with arping and ping, NDP with ping -6; the rogue talks to
// h1, so h1 learns it.
func (l *lab) traffic() {
	h1, h2, h3, r := l.known[0], l.known[1], l.known[2], l.rogue
	l.nsExec(h1.ns, "arping", "-c", "1", "-w", "2", "-I", "eth0", h2.ip4)
	l.nsExec(h1.ns, "ping", "-c", "1", "-W", "2", h2.ip4)
	l.nsExec(h3.ns, "ping", "-c", "1", "-W", "2", h1.ip4)
	l.nsExec(r.ns, "arping", "-c", "1", "-w", "2", "-I", "eth0", h1.ip4)
	l.nsExec(r.ns, "ping", "-6", "-c", "1", "-W", "2", h1.ip6)
	l.nsExec(h1.ns, "ping", "-6", "-c", "1", "-W", "2", h3.ip6)
	l.nsExec(h2.ns, "ping", "-c", "1", "-W", "2", h3.ip4)
}

// proc is a background process whose stderr is watched for a line.
type proc struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	mu     sync.Mutex
	stderr strings.Builder
	ready  chan struct{}
	done   chan struct{}
}

func (l *lab) start(ns, readyText string, env []string, args ...string) *proc {
	l.t.Helper()
	p := &proc{ready: make(chan struct{}), done: make(chan struct{})}
	p.cmd = exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = &p.stdout
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		l.t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { _ = p.cmd.Process.Kill(); <-p.done })
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(errPipe)
		once := sync.Once{}
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if strings.Contains(sc.Text(), readyText) {
				once.Do(func() { close(p.ready) })
			}
		}
		_, _ = io.Copy(io.Discard, errPipe)
		_ = p.cmd.Wait()
	}()
	select {
	case <-p.ready:
	case <-p.done:
		l.t.Fatalf("%s exited before %q: %s", args[0], readyText, p.errText())
	case <-time.After(15 * time.Second):
		l.t.Fatalf("%s not ready after 15s: %s", args[0], p.errText())
	}
	return p
}

func (p *proc) errText() string { p.mu.Lock(); defer p.mu.Unlock(); return p.stderr.String() }

func (p *proc) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("%s still running after %s: %s", p.cmd.Args[3], timeout, p.errText())
	}
}

// asHost wraps a command so that it runs with the host's own hostname (a
// UTS namespace of its own), as on separate machines: documents carry it.
func asHost(h labHost, args ...string) []string {
	return append([]string{"unshare", "--uts", "sh", "-c", `hostname "$0" && exec "$@"`, h.name}, args...)
}

// collect runs one collector inside a host's namespace.
func (l *lab) collect(h labHost, kind, body string) helperOutput {
	l.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		l.t.Fatal(err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", h.ns}, asHost(h, exe)...)...)
	cmd.Env = append(os.Environ(), helperKindEnv+"="+kind, helperBodyEnv+"="+body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		l.t.Fatalf("collect %s in %s: %v: %s", kind, h.name, err, stderr.String())
	}
	return decodeHelper(l.t, out, stderr.String())
}

func decodeHelper(t *testing.T, out []byte, stderr string) helperOutput {
	t.Helper()
	var res helperOutput
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("helper output: %v: %s\nstderr: %s", err, out, stderr)
	}
	if res.Status != "ok" {
		t.Fatalf("collector status %q: %s\nstderr: %s", res.Status, res.Error, stderr)
	}
	return res
}

// TestLab builds the namespaces once and checks the collectors against
// iproute2, the live capture against tcpdump's file, and the rogue-hosts
// policies against the one device nobody declared.
func TestLab(t *testing.T) {
	requireLab(t)
	l := newLab(t)
	h1, r := l.known[0], l.rogue

	pcap := filepath.Join(t.TempDir(), "h1.pcap")
	td := l.start(h1.ns, "listening on", nil, "tcpdump", "-n", "-U", "-Z", "root", "-i", "eth0", "-w", pcap)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	live := l.start(h1.ns, "capturing ARP/NDP", []string{helperKindEnv + "=neighbors",
		helperBodyEnv + "=cache = false\ncapture {\n  interface = \"eth0\"\n  duration = \"4s\"\n}\n"}, asHost(h1, exe)...)
	l.traffic()
	live.wait(t, 30*time.Second)
	_ = td.cmd.Process.Signal(os.Interrupt)
	td.wait(t, 10*time.Second)
	liveOut := decodeHelper(t, live.stdout.Bytes(), live.errText())

	t.Run("live capture hears the rogue", func(t *testing.T) {
		got := neighborSet(liveOut.Documents)
		for _, want := range []string{r.mac + " " + r.ip4, r.mac + " " + r.ip6, h1.mac + " " + h1.ip4} {
			if !got[want] {
				t.Errorf("live capture missed %s; heard %v", want, slices.Sorted(maps.Keys(got)))
			}
		}
		for _, d := range liveOut.Documents {
			if d["source"] != "capture" || d["interface"] != "eth0" || d["collector"] != "test" || d["host"] != "h1" {
				t.Errorf("document %v: want source capture, interface eth0, collector test", d)
			}
		}
	})

	t.Run("tcpdump's pcap decodes to the same neighbors", func(t *testing.T) {
		c := &neighborsCollector{capture: &captureSpec{pcapFile: pcap, iface: "eth0", maxMACs: DefaultMaxMACs}}
		var rec recorder
		if err := c.Collect(context.Background(), collector.Env{}, &rec); err != nil {
			t.Fatal(err)
		}
		got, want := neighborSet(rec.docs), neighborSet(liveOut.Documents)
		if strings.Join(slices.Sorted(maps.Keys(got)), ",") != strings.Join(slices.Sorted(maps.Keys(want)), ",") {
			t.Errorf("pcap neighbors\n %v\nlive capture\n %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
		// tcpdump itself agrees that the rogue spoke ARP and NDP.
		out, err := exec.Command("tcpdump", "-n", "-e", "-r", pcap, "arp or icmp6").Output()
		if err != nil || !strings.Contains(string(out), r.mac) {
			t.Errorf("tcpdump -r does not show the rogue %s: %v\n%s", r.mac, err, out)
		}
	})

	// Documents of each known host, reused by the fleet check below.
	ifaceDocs, neighDocs := map[string][]document.Document{}, map[string][]document.Document{}
	t.Run("interfaces equal ip link and ip addr", func(t *testing.T) {
		for _, h := range l.known {
			got := l.collect(h, "interfaces", "")
			ifaceDocs[h.name] = got.Documents
			want := ipLinks(t, l.ip("-n", h.ns, "-j", "-d", "link"), l.ip("-n", h.ns, "-j", "addr"))
			if g := interfaceSet(got.Documents); strings.Join(g, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s interfaces\n got %v\nwant %v", h.name, g, want)
			}
		}
	})

	t.Run("neighbors equal ip neigh", func(t *testing.T) {
		for _, h := range l.known {
			// Entries age (REACHABLE → STALE) between two reads: retry.
			var g, w []string
			for try := 0; try < 3; try++ {
				neighDocs[h.name] = l.collect(h, "neighbors", "").Documents
				g = cacheSet(neighDocs[h.name])
				w = ipNeighs(t, l.ip("-n", h.ns, "-j", "neigh"))
				if strings.Join(g, "\n") == strings.Join(w, "\n") {
					break
				}
			}
			if strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Errorf("%s neighbors\n got %v\nwant %v", h.name, g, w)
			}
			if h == h1 && !strings.Contains(strings.Join(g, " "), r.mac) {
				t.Errorf("h1's caches do not hold the rogue: %v", g)
			}
		}
	})

	t.Run("rogue-hosts flags exactly the rogue", func(t *testing.T) {
		known := []string{l.known[0].mac, l.known[1].mac, l.known[2].mac}
		h1Neighbors := append(append([]document.Document(nil), neighDocs[h1.name]...), liveOut.Documents...)
		flagged := map[string]bool{}
		for _, d := range h1Neighbors {
			for _, msg := range denyOf(t, "unknown_neighbor", d, known) {
				flagged[strings.Fields(msg)[2]] = true
			}
			if msgs := denyOf(t, "local_neighbor", d, known); len(msgs) > 0 {
				t.Errorf("local_neighbor flagged %v", msgs)
			}
		}
		if len(flagged) != 1 || !flagged[r.mac] {
			t.Errorf("unknown_neighbor flagged %v, want only %s", slices.Sorted(maps.Keys(flagged)), r.mac)
		}
		// The fleet view (mode "fleet"): every known host is a target with
		// its interfaces and neighbors; h1 also heard the capture.
		var targets []any
		n := 0
		for _, h := range l.known {
			var docs []any
			for _, d := range append(append([]document.Document(nil), ifaceDocs[h.name]...), neighDocs[h.name]...) {
				docs = append(docs, map[string]any(d))
			}
			if h == h1 {
				for _, d := range liveOut.Documents {
					docs = append(docs, map[string]any(d))
				}
			}
			n += len(docs)
			targets = append(targets, map[string]any{"name": h.name, "kind": "host", "host": map[string]any{}, "labels": map[string]any{}, "documents": docs})
		}
		if n < 10 {
			t.Fatalf("only %d documents from the known hosts: the subtests above failed", n)
		}
		msgs := denyOf(t, "unowned_neighbor", map[string]any{"targets": targets}, nil)
		macs := map[string]bool{}
		for _, m := range msgs {
			macs[strings.Fields(m)[1]] = true
		}
		if len(msgs) == 0 || len(macs) != 1 || !macs[r.mac] || !strings.HasPrefix(msgs[0], "MAC "+r.mac+" is owned by no scanned host") {
			t.Errorf("unowned_neighbor = %q, want findings for %s only", msgs, r.mac)
		}
	})
}

func neighborSet(docs []document.Document) map[string]bool {
	m := map[string]bool{}
	for _, d := range docs {
		m[fmt.Sprint(d["mac"], " ", d["ip"])] = true
	}
	return m
}

// interfaceSet and ipLinks spell each interface as one comparable line.
func interfaceSet(docs []document.Document) []string {
	var out []string
	for _, d := range docs {
		var flags, addrs []string
		for _, f := range d["flags"].([]any) {
			flags = append(flags, f.(string))
		}
		for _, a := range d["addrs"].([]any) {
			addrs = append(addrs, a.(string))
		}
		sort.Strings(flags)
		sort.Strings(addrs)
		out = append(out, fmt.Sprintf("%v %v mac=%v perm=%v mtu=%v %v kind=%v master=%v flags=%v addrs=%v",
			d["index"], d["name"], d["mac"], d["permanent_mac"], d["mtu"], d["operstate"], d["link_kind"], d["master"], flags, addrs))
	}
	sort.Strings(out)
	return out
}

func ipLinks(t *testing.T, linkJSON, addrJSON []byte) []string {
	t.Helper()
	var links []struct {
		Index     int      `json:"ifindex"`
		Name      string   `json:"ifname"`
		Address   string   `json:"address"`
		PermAddr  string   `json:"permaddr"`
		MTU       int      `json:"mtu"`
		OperState string   `json:"operstate"`
		Master    string   `json:"master"`
		Flags     []string `json:"flags"`
		LinkType  string   `json:"link_type"`
		LinkInfo  struct {
			Kind string `json:"info_kind"`
		} `json:"linkinfo"`
	}
	var addrs []struct {
		Index int `json:"ifindex"`
		Addrs []struct {
			Local  string `json:"local"`
			Prefix int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal(linkJSON, &links); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(addrJSON, &addrs); err != nil {
		t.Fatal(err)
	}
	byIndex := map[int][]string{}
	for _, a := range addrs {
		for _, ai := range a.Addrs {
			byIndex[a.Index] = append(byIndex[a.Index], fmt.Sprintf("%s/%d", ai.Local, ai.Prefix))
		}
	}
	var out []string
	for _, l := range links {
		var flags []string
		for _, f := range l.Flags {
			if f != "M-DOWN" { // derived by ip from the peer's state, not a kernel flag
				flags = append(flags, f)
			}
		}
		sort.Strings(flags)
		a := byIndex[l.Index]
		sort.Strings(a)
		kind := l.LinkInfo.Kind
		if kind == "" && l.LinkType == "loopback" {
			kind = "loopback"
		}
		// The documents spell "no usable EUI-48 address" (loopback's zeros,
		// a tunnel's IPv4 endpoint) as "".
		mac := l.Address
		if len(mac) != 17 || mac == "00:00:00:00:00:00" {
			mac = ""
		}
		// ip prints permaddr only when it differs from the address.
		perm := l.PermAddr
		out = append(out, fmt.Sprintf("%d %s mac=%s perm=%s mtu=%d %s kind=%s master=%s flags=%v addrs=%v",
			l.Index, l.Name, mac, perm, l.MTU, l.OperState, kind, l.Master, flags, a))
	}
	sort.Strings(out)
	return out
}

// cacheSet and ipNeighs spell each cache entry as one comparable line.
func cacheSet(docs []document.Document) []string {
	var out []string
	for _, d := range docs {
		out = append(out, fmt.Sprintf("%v %v %v %v router=%v", d["ip"], d["interface"], d["mac"], d["state"], d["router"]))
	}
	sort.Strings(out)
	return out
}

func ipNeighs(t *testing.T, js []byte) []string {
	t.Helper()
	var ns []map[string]any
	if err := json.Unmarshal(js, &ns); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		var st []string
		for _, s := range n["state"].([]any) {
			st = append(st, s.(string))
		}
		_, router := n["router"]
		mac, _ := n["lladdr"].(string)
		out = append(out, fmt.Sprintf("%v %v %v %v router=%v", n["dst"], n["dev"], mac, strings.Join(st, ","), router))
	}
	sort.Strings(out)
	return out
}
