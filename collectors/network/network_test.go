package network

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/assay-dev/assay/collectors"
	"github.com/assay-dev/assay/collectors/network/arpndp/arpndptest"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/targets"
)

// recorder is an Emitter that keeps everything.
type recorder struct {
	mu    sync.Mutex
	docs  []document.Document
	skips []string
}

func (r *recorder) Emit(d document.Document) {
	r.mu.Lock()
	r.docs = append(r.docs, d)
	r.mu.Unlock()
}
func (r *recorder) Skip(path string, err error) {
	r.mu.Lock()
	r.skips = append(r.skips, path+": "+err.Error())
	r.mu.Unlock()
}

func parseBody(t *testing.T, src string) hcl.Body {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse: %v", diags)
	}
	return f.Body
}

func TestDecodeNeighbors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    *neighborsCollector
		wantErr string // summary of the first diagnostic
		wantPos string // "line:col" of its subject
	}{
		{name: "empty body reads the caches", src: ``, want: &neighborsCollector{cache: true}},
		{name: "live capture defaults", src: "capture {}", want: &neighborsCollector{cache: true,
			capture: &captureSpec{duration: DefaultCaptureDuration, maxMACs: DefaultMaxMACs}}},
		{name: "live capture", src: "cache = false\ncapture {\n  interface = \"eth0\"\n  duration = \"1m30s\"\n  max_macs = 10\n  promiscuous = true\n}",
			want: &neighborsCollector{capture: &captureSpec{iface: "eth0", duration: 90 * time.Second, maxMACs: 10, promiscuous: true}}},
		{name: "pcap file", src: "capture {\n  pcap_file = \"/tmp/x.pcap\"\n}",
			want: &neighborsCollector{cache: true, capture: &captureSpec{pcapFile: "/tmp/x.pcap", maxMACs: DefaultMaxMACs}}},
		{name: "bad duration", src: "capture {\n  duration = \"30 seconds\"\n}", wantErr: "Invalid duration", wantPos: "2:14"},
		{name: "negative duration", src: "capture {\n  duration = \"-1s\"\n}", wantErr: "Invalid duration", wantPos: "2:14"},
		{name: "duration with pcap file", src: "capture {\n  pcap_file = \"x\"\n  duration = \"1s\"\n}", wantErr: "duration with pcap_file", wantPos: "3:14"},
		{name: "promiscuous without interface", src: "capture {\n  promiscuous = true\n}", wantErr: "promiscuous needs an interface", wantPos: "2:17"},
		{name: "max_macs zero", src: "capture {\n  max_macs = 0\n}", wantErr: "Invalid max_macs", wantPos: "2:14"},
		{name: "unknown attribute", src: "capture {\n  iface = \"eth0\"\n}", wantErr: "Unsupported argument", wantPos: "2:3"},
		{name: "wrong type", src: "cache = \"yes\"", wantErr: "Unsuitable value type", wantPos: "1:10"},
		{name: "two capture blocks", src: "capture {}\ncapture {}", wantErr: "Duplicate capture block", wantPos: "2:1"},
		{name: "nothing to collect", src: "cache = false", wantErr: "Nothing to collect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := decodeNeighbors(parseBody(t, tt.src), nil)
			if tt.wantErr == "" {
				if diags.HasErrors() {
					t.Fatalf("diagnostics: %v", diags)
				}
				if !reflect.DeepEqual(c, tt.want) {
					t.Fatalf("got %+v (capture %+v), want %+v (capture %+v)", c, c.capture, tt.want, tt.want.capture)
				}
				return
			}
			if !diags.HasErrors() || c != nil {
				t.Fatalf("want an error %q, got collector %+v, diags %v", tt.wantErr, c, diags)
			}
			d := diags[0]
			if !strings.Contains(d.Summary, tt.wantErr) {
				t.Errorf("summary %q, want %q", d.Summary, tt.wantErr)
			}
			if d.Subject == nil {
				t.Fatalf("diagnostic %q has no subject", d.Summary)
			}
			if tt.wantPos != "" {
				if got := d.Subject.Start; got.Line != atoi(tt.wantPos, 0) || got.Column != atoi(tt.wantPos, 1) {
					t.Errorf("subject at %d:%d, want %s", got.Line, got.Column, tt.wantPos)
				}
			}
		})
	}
}

func atoi(pos string, i int) int {
	parts := strings.Split(pos, ":")
	n := 0
	for _, c := range parts[i] {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestDecodeInterfacesRejectsAttributes(t *testing.T) {
	if _, diags := InterfacesType().New(parseBody(t, `names = ["eth0"]`), nil); !diags.HasErrors() {
		t.Fatal("an unknown attribute was accepted")
	}
	if _, diags := InterfacesType().New(parseBody(t, ``), nil); diags.HasErrors() {
		t.Fatal(diags)
	}
}

func TestRegistered(t *testing.T) {
	for name, kind := range map[string]string{"interfaces": KindInterface, "neighbors": KindNeighbor} {
		k, ok := collector.NewRegistry(InterfacesType(), NeighborsType()).Lookup(name)
		if !ok || k.NetFacts == nil || !k.HostOnly || len(k.DocumentKinds) != 1 || k.DocumentKinds[0] != kind {
			t.Errorf("%s: registered %v as %+v", name, ok, k)
		}
	}
}

// TestNotApplicableToRoot: a --root scan reports both kinds as not
// applicable instead of reading the scanner's own network state.
func TestNotApplicableToRoot(t *testing.T) {
	tgt, err := targets.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	var jobs []collectors.Job
	for _, name := range []string{"interfaces", "neighbors"} {
		k, _ := collector.NewRegistry(InterfacesType(), NeighborsType()).Lookup(name)
		c, diags := k.New(parseBody(t, ""), nil)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		jobs = append(jobs, collectors.Job{Type: k, Name: "all", Collector: c})
	}
	for _, out := range (&collectors.Runner{Target: tgt}).Run(context.Background(), jobs) {
		if out.Result.Status != "not_applicable" || len(out.Documents) != 0 {
			t.Errorf("%s: status %q, %d documents", out.Job.ID(), out.Result.Status, len(out.Documents))
		}
	}
}

func TestInterfaceDocument(t *testing.T) {
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Index: 3, Name: "br0"}}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{
		Index: 7, Name: "veth1", MTU: 1500, MasterIndex: 3,
		HardwareAddr: net.HardwareAddr{0x02, 0xAA, 0, 0, 0, 1},
		PermHWAddr:   net.HardwareAddr{0x52, 0x54, 0, 0, 0, 1},
		RawFlags:     unix.IFF_UP | unix.IFF_BROADCAST | unix.IFF_MULTICAST | unix.IFF_LOWER_UP | unix.IFF_RUNNING,
		OperState:    netlink.OperUp, EncapType: "ether",
	}}
	names := linkNames([]netlink.Link{br, veth})
	got := interfaceDocument(veth, names, []any{"10.0.0.1/24"})
	want := document.Document{
		"kind": KindInterface, "name": "veth1", "index": 7, "mac": "02:aa:00:00:00:01", "permanent_mac": "52:54:00:00:00:01",
		"mtu": 1500, "flags": []any{"BROADCAST", "MULTICAST", "UP", "LOWER_UP"}, "operstate": "UP", "link_type": "ether",
		"link_kind": "veth", "master": "br0", "addrs": []any{"10.0.0.1/24"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("veth document:\n got %v\nwant %v", got, want)
	}
	lo := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1, Name: "lo", RawFlags: unix.IFF_UP | unix.IFF_LOOPBACK, HardwareAddr: make(net.HardwareAddr, 6)}}
	if d := interfaceDocument(lo, names, nil); d["link_kind"] != "loopback" || !reflect.DeepEqual(d["flags"], []any{"NO-CARRIER", "LOOPBACK", "UP"}) || !reflect.DeepEqual(d["addrs"], []any{}) {
		t.Errorf("lo: %v", d)
	}
	tun := &netlink.Tuntap{LinkAttrs: netlink.LinkAttrs{Index: 9, Name: "tun0"}}
	if d := interfaceDocument(tun, names, nil); d["link_kind"] != "tun" || d["mac"] != "" {
		t.Errorf("tun: %v", d)
	}
}

func TestSysfsFacts(t *testing.T) {
	root := t.TempDir()
	mk := func(name, file, content string) {
		dir := filepath.Join(root, "sys/class/net", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if file != "" {
			if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("eth0", "ifindex", "2\n")
	mk("eth0", "addr_assign_type", "0\n")
	mk("eth0/device", "", "")
	mk("veth9", "ifindex", "5\n") // another namespace's veth9: index differs
	mk("veth9", "addr_assign_type", "3\n")
	tgt, err := targets.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	tests := []struct {
		name, kind      string
		index           int
		wantType, wantK string
	}{
		{"eth0", "other", 2, "permanent", "physical"},
		{"veth9", "veth", 9, "", "veth"},
		{"missing", "other", 4, "", "other"},
		{"../../etc", "other", 4, "", "other"},
	}
	for _, tt := range tests {
		doc := document.Document{"link_kind": tt.kind}
		sysfsFacts(tgt, &netlink.LinkAttrs{Name: tt.name, Index: tt.index}, doc)
		if doc["addr_assign_type"] != tt.wantType || doc["link_kind"] != tt.wantK {
			t.Errorf("%s: addr_assign_type %q link_kind %q; want %q %q", tt.name, doc["addr_assign_type"], doc["link_kind"], tt.wantType, tt.wantK)
		}
	}
}

func TestNeighborDocument(t *testing.T) {
	names := map[int]string{2: "eth0"}
	mac := net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56}
	tests := []struct {
		name string
		n    netlink.Neigh
		want document.Document
	}{
		{"reachable", netlink.Neigh{LinkIndex: 2, IP: net.ParseIP("10.0.0.2"), HardwareAddr: mac, State: unix.NUD_REACHABLE},
			document.Document{"kind": KindNeighbor, "ip": "10.0.0.2", "mac": "52:54:00:12:34:56", "interface": "eth0", "state": "REACHABLE", "router": false, "source": SourceARPCache}},
		{"router", netlink.Neigh{LinkIndex: 2, IP: net.ParseIP("fe80::1"), HardwareAddr: mac, State: unix.NUD_STALE, Flags: unix.NTF_ROUTER},
			document.Document{"kind": KindNeighbor, "ip": "fe80::1", "mac": "52:54:00:12:34:56", "interface": "eth0", "state": "STALE", "router": true, "source": SourceARPCache}},
		{"failed, no MAC", netlink.Neigh{LinkIndex: 2, IP: net.ParseIP("10.0.0.9"), State: unix.NUD_FAILED},
			document.Document{"kind": KindNeighbor, "ip": "10.0.0.9", "mac": "", "interface": "eth0", "state": "FAILED", "router": false, "source": SourceARPCache}},
		{"noarp hidden", netlink.Neigh{LinkIndex: 2, IP: net.ParseIP("224.0.0.1"), State: unix.NUD_NOARP}, nil},
		{"none hidden", netlink.Neigh{LinkIndex: 2, IP: net.ParseIP("10.0.0.3"), State: unix.NUD_NONE}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := neighborDocument(tt.n, names, SourceARPCache)
			if ok != (tt.want != nil) || (ok && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("got %v (%v), want %v", got, ok, tt.want)
			}
		})
	}
	if got := neighState(unix.NUD_REACHABLE | unix.NUD_PERMANENT); got != "REACHABLE,PERMANENT" {
		t.Errorf("neighState = %q", got)
	}
}

func TestInfoLabels(t *testing.T) {
	tests := []struct {
		doc    document.Document
		metric string
		labels map[string]string
	}{
		{document.Document{"kind": KindInterface, "name": "eth0", "mac": "52:54:00:00:00:01"}, InterfaceInfoMetric,
			map[string]string{"interface": "eth0", "mac": "52:54:00:00:00:01"}},
		{document.Document{"kind": KindNeighbor, "interface": "eth0", "ip": "10.0.0.2", "mac": "52:54:00:00:00:02", "source": "arp_cache"}, NeighborInfoMetric,
			map[string]string{"interface": "eth0", "ip": "10.0.0.2", "mac": "52:54:00:00:00:02", "source": "arp_cache"}},
		{document.Document{"kind": KindInterface, "name": "lo", "mac": "00:00:00:00:00:00"}, "", nil},
		{document.Document{"kind": KindNeighbor, "ip": "10.0.0.9", "mac": "", "state": "FAILED"}, "", nil},
		{document.Document{"kind": "file", "mac": "52:54:00:00:00:01"}, "", nil},
	}
	for _, tt := range tests {
		m, l, ok := InfoLabels(tt.doc)
		if m != tt.metric || !reflect.DeepEqual(l, tt.labels) || ok != (tt.metric != "") {
			t.Errorf("InfoLabels(%v) = %q %v %v", tt.doc, m, l, ok)
		}
	}
}

func writePcap(t *testing.T, frames [][]byte, n int) string {
	t.Helper()
	var buf bytes.Buffer
	if err := arpndptest.WritePcap(&buf, frames, n, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "cap.pcap")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCapturePcapFile(t *testing.T) {
	hosts := arpndptest.Hosts(3)
	frames := arpndptest.Mix(hosts)
	c := &neighborsCollector{capture: &captureSpec{pcapFile: writePcap(t, frames, len(frames)), iface: "eth0", maxMACs: 2}}
	var rec recorder
	if err := c.Collect(context.Background(), collector.Env{}, &rec); err != nil {
		t.Fatal(err)
	}
	// max_macs = 2 of 3 hosts: two hosts × (IPv4, IPv6) recorded, the cap reported.
	if len(rec.docs) != 4 {
		t.Fatalf("%d documents, want 4: %v", len(rec.docs), rec.docs)
	}
	if len(rec.skips) != 1 || !strings.Contains(rec.skips[0], "max_macs = 2 distinct MACs reached") {
		t.Errorf("skips = %q, want the cap reported", rec.skips)
	}
	d := rec.docs[0]
	want := document.Document{"kind": KindNeighbor, "ip": "10.250.0.0", "mac": "02:00:00:00:00:00", "interface": "eth0", "source": "capture",
		"router": false, "first_seen": "2026-05-01T12:00:00Z", "last_seen": "2026-05-01T12:00:00.000001Z", "packets": int64(2),
		"messages": []any{"arp_request", "arp_reply"}, "host": d["host"]}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("first document\n got %v\nwant %v", d, want)
	}
}

func TestCaptureBadFiles(t *testing.T) {
	good := writePcap(t, arpndptest.Mix(arpndptest.Hosts(1)), 10)
	data, _ := os.ReadFile(good)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pcap")
	truncated := filepath.Join(dir, "truncated.pcap")
	_ = os.WriteFile(garbage, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0o644)
	_ = os.WriteFile(truncated, data[:len(data)-3], 0o644)
	fifo := filepath.Join(dir, "fifo.pcap") // no writer: a blocking open never returns
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ file, want string }{
		{garbage, "not a pcap or pcapng file"},
		{truncated, "truncated after 9 frames"},
		{filepath.Join(dir, "missing.pcap"), "no such file"},
		{fifo, "fifo.pcap: not a regular file: fifo"},
		{dir, "not a regular file: dir"},
	} {
		c := &neighborsCollector{capture: &captureSpec{pcapFile: tt.file, maxMACs: 10}}
		done := make(chan error, 1)
		go func() { done <- c.Collect(context.Background(), collector.Env{}, &recorder{}) }()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: the collector is still blocked after 10s", filepath.Base(tt.file))
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "capture:") {
			t.Errorf("%s: err = %v, want it to contain %q", filepath.Base(tt.file), err, tt.want)
		}
	}
}

// TestCaptureWithoutCapNetRaw drops CAP_NET_RAW from this thread's effective
// set (or runs as it is, unprivileged) and checks that a live capture fails
// with the reason spelled out.
func TestCaptureWithoutCapNetRaw(t *testing.T) {
	restore := dropNetRaw(t)
	defer restore()
	c := &neighborsCollector{capture: &captureSpec{duration: time.Second, maxMACs: 10}}
	err := c.Collect(context.Background(), collector.Env{}, &recorder{})
	if err == nil || !strings.Contains(err.Error(), "CAP_NET_RAW") {
		t.Fatalf("err = %v, want the missing capability named", err)
	}
	if !errors.Is(err, errNoCapability()) {
		t.Errorf("err does not wrap arpndp.ErrNoCapability: %v", err)
	}
}
