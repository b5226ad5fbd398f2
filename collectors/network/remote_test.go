package network

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/targets"
)

// remoteTree writes the files a remote host's network facts come from.
func remoteTree(t *testing.T, files map[string]string, links map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, to := range links {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRemoteFiles reads interfaces and neighbours from sysfs and procfs
// files through a target, as over SFTP (a --root target stands in: the
// runner never lets one reach here, the collector does not care).
func TestRemoteFiles(t *testing.T) {
	eth := "sys/devices/virtual/net/eth0/"
	lo := "sys/devices/virtual/net/lo/"
	br := "sys/devices/virtual/net/br0/"
	dir := remoteTree(t, map[string]string{
		"proc/sys/kernel/hostname": "h1\n",
		eth + "address":            "00:16:3e:5a:00:01\n", eth + "ifindex": "2\n", eth + "mtu": "1500\n", eth + "flags": "0x1003\n",
		eth + "operstate": "up\n", eth + "type": "1\n", eth + "addr_assign_type": "3\n", eth + "carrier": "1\n", eth + "uevent": "INTERFACE=eth0\nIFINDEX=2\n",
		lo + "address": "00:00:00:00:00:00\n", lo + "ifindex": "1\n", lo + "mtu": "65536\n", lo + "flags": "0x9\n", lo + "operstate": "unknown\n",
		lo + "type": "772\n", lo + "carrier": "1\n",
		br + "address": "00:16:3e:5a:00:fe\n", br + "ifindex": "3\n", br + "mtu": "1500\n", br + "flags": "0x1002\n", br + "operstate": "down\n",
		br + "type": "1\n", br + "uevent": "DEVTYPE=bridge\nINTERFACE=br0\n",
		"proc/net/if_inet6": "fe80000000000000021163fffe5a0001 02 40 20 80     eth0\n00000000000000000000000000000001 01 80 10 80       lo\n",
		"proc/net/arp": "IP address       HW type     Flags       HW address            Mask     Device\n" +
			"10.78.0.2        0x1         0x2         00:16:3e:5a:00:02     *        eth0\n" +
			"10.78.0.66       0x1         0x2         00:16:3e:66:00:66     *        eth0\n" +
			"10.78.0.99       0x1         0x0         00:00:00:00:00:00     *        eth0\n" +
			"10.78.0.254      0x1         0x6         00:16:3e:5a:00:fe     *        eth0\n" +
			"garbage\n",
	}, map[string]string{
		"sys/class/net/eth0": "../../devices/virtual/net/eth0", "sys/class/net/lo": "../../devices/virtual/net/lo",
		"sys/class/net/br0": "../../devices/virtual/net/br0", eth + "master": "../br0",
	})
	tgt, err := targets.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	env := collector.Env{Target: tgt}

	var ifaces recorder
	if err := (&interfacesCollector{}).Collect(context.Background(), env, &ifaces); err != nil {
		t.Fatal(err)
	}
	want := []document.Document{
		{"kind": KindInterface, "name": "br0", "index": 3, "mac": "00:16:3e:5a:00:fe", "permanent_mac": "", "mtu": 1500, "flags": []any{"BROADCAST", "MULTICAST"},
			"operstate": "DOWN", "link_type": "ether", "link_kind": "bridge", "master": "", "addrs": []any{}, "addr_assign_type": "", "host": "h1"},
		{"kind": KindInterface, "name": "eth0", "index": 2, "mac": "00:16:3e:5a:00:01", "permanent_mac": "", "mtu": 1500,
			"flags": []any{"BROADCAST", "MULTICAST", "UP", "LOWER_UP"}, "operstate": "UP", "link_type": "ether", "link_kind": "other", "master": "br0",
			"addrs": []any{"fe80::211:63ff:fe5a:1/64"}, "addr_assign_type": "set", "host": "h1"},
		{"kind": KindInterface, "name": "lo", "index": 1, "mac": "", "permanent_mac": "", "mtu": 65536, "flags": []any{"LOOPBACK", "UP", "LOWER_UP"},
			"operstate": "UNKNOWN", "link_type": "loopback", "link_kind": "loopback", "master": "", "addrs": []any{"::1/128"}, "addr_assign_type": "", "host": "h1"},
	}
	if !reflect.DeepEqual(ifaces.docs, want) {
		t.Errorf("interfaces:\n got %v\nwant %v", ifaces.docs, want)
	}

	var neigh recorder
	if err := (&neighborsCollector{cache: true}).Collect(context.Background(), env, &neigh); err != nil {
		t.Fatal(err)
	}
	nd := func(ip, mac, state string) document.Document {
		return document.Document{"kind": KindNeighbor, "ip": ip, "mac": mac, "interface": "eth0", "state": state, "router": false, "source": SourceARPCache, "host": "h1"}
	}
	wantN := []document.Document{nd("10.78.0.2", "00:16:3e:5a:00:02", "REACHABLE"), nd("10.78.0.66", "00:16:3e:66:00:66", "REACHABLE"),
		nd("10.78.0.99", "", "INCOMPLETE"), nd("10.78.0.254", "00:16:3e:5a:00:fe", "PERMANENT")}
	if !reflect.DeepEqual(neigh.docs, wantN) {
		t.Errorf("neighbors:\n got %v\nwant %v", neigh.docs, wantN)
	}
	if len(neigh.skips) != 1 {
		t.Errorf("skips %v, want the garbage line", neigh.skips)
	}

	if err := (&neighborsCollector{cache: true, capture: &captureSpec{}}).Collect(context.Background(), env, &recorder{}); err == nil {
		t.Error("a capture on a remote target: want an error")
	}
	empty, _ := targets.OpenDir(t.TempDir())
	defer empty.Close()
	for _, c := range []collector.Collector{&interfacesCollector{}, &neighborsCollector{cache: true}} {
		if err := c.Collect(context.Background(), collector.Env{Target: empty}, &recorder{}); !errors.Is(err, collector.ErrNotApplicable) {
			t.Errorf("%T without sysfs or procfs: %v, want not applicable", c, err)
		}
	}
}
