package assay.rogue_hosts_test

import data.assay.rogue_hosts.lib
import data.assay.rogue_hosts.local_neighbor
import data.assay.rogue_hosts.unknown_neighbor
import data.assay.rogue_hosts.unowned_neighbor

inventory := ["00:16:3E:77:00:01", "00-16-3e-77-00-02"]

neighbor(mac) := {"kind": "net.neighbor", "host": "h1", "interface": "eth0", "ip": "10.77.0.9", "mac": mac, "source": "arp_cache"}

iface(host, mac) := {"kind": "net.interface", "host": host, "name": "eth0", "mac": mac, "permanent_mac": ""}

test_lib_classification if {
	lib.ignored("ff:ff:ff:ff:ff:ff")
	lib.ignored("01:00:5e:00:00:01")
	lib.ignored("33:33:ff:00:00:01")
	lib.ignored("00:00:00:00:00:00")
	lib.ignored("")
	lib.ignored("not a mac")
	not lib.ignored("00:16:3e:77:00:01")
	lib.local("02:42:ac:11:00:02")
	lib.local("DA:A1:19:00:00:01")
	not lib.local("00:16:3e:77:00:01")
	lib.norm("00-16-3E-77-00-01") == "00:16:3e:77:00:01"
}

test_known_neighbor_passes if {
	count(unknown_neighbor.deny) == 0 with input as neighbor("00:16:3e:77:00:01") with data.known_macs as inventory
	count(unknown_neighbor.deny) == 0 with input as neighbor("00:16:3e:77:00:02") with data.known_macs as inventory
}

test_unknown_neighbor_flagged if {
	unknown_neighbor.deny == {"unknown MAC 00:16:3e:66:00:66 seen by h1 on eth0 as 10.77.0.9 (arp_cache)"} with input as neighbor("00:16:3E:66:00:66")
		with data.known_macs as inventory
}

test_unknown_neighbor_ignores_group_and_local if {
	count(unknown_neighbor.deny) == 0 with input as neighbor("ff:ff:ff:ff:ff:ff") with data.known_macs as inventory
	count(unknown_neighbor.deny) == 0 with input as neighbor("33:33:00:00:00:01") with data.known_macs as inventory
	count(unknown_neighbor.deny) == 0 with input as neighbor("") with data.known_macs as inventory
	count(unknown_neighbor.deny) == 0 with input as neighbor("02:42:ac:11:00:02") with data.known_macs as inventory
}

test_empty_inventory_flags_nothing if {
	count(unknown_neighbor.deny) == 0 with input as neighbor("00:16:3e:66:00:66") with data.known_macs as []
	count(local_neighbor.deny) == 0 with input as neighbor("02:42:ac:11:00:02") with data.known_macs as []
}

test_local_neighbor_flagged_separately if {
	local_neighbor.deny == {"unknown locally administered MAC 02:42:ac:11:00:02 seen by h1 on eth0 as 10.77.0.9 (arp_cache)"} with input as neighbor("02:42:AC:11:00:02")
		with data.known_macs as inventory
	count(local_neighbor.deny) == 0 with input as neighbor("00:16:3e:66:00:66") with data.known_macs as inventory
	count(local_neighbor.deny) == 0 with input as neighbor("02:42:ac:11:00:02") with data.known_macs as ["02:42:ac:11:00:02"]
}

test_other_documents_ignored if {
	count(unknown_neighbor.deny) == 0 with input as iface("h1", "00:16:3e:66:00:66") with data.known_macs as inventory
}

# one is a target holding the documents of several hosts, as assay eval
# without --fleet judges all its files.
one(docs) := {"targets": [{"name": "documents", "kind": "documents", "host": {}, "labels": {}, "documents": docs}]}

join_docs := [
	iface("h1", "00:16:3e:77:00:01"),
	iface("h2", "00:16:3e:77:00:02"),
	{"kind": "net.interface", "host": "h2", "name": "eth1", "mac": "02:00:00:00:00:09", "permanent_mac": "00:16:3e:77:00:12"},
	{"kind": "net.interface", "host": "h1", "name": "lo", "mac": "00:00:00:00:00:00", "permanent_mac": ""},
	{"kind": "net.neighbor", "host": "h1", "interface": "eth0", "ip": "10.77.0.2", "mac": "00:16:3e:77:00:02", "source": "arp_cache"},
	{"kind": "net.neighbor", "host": "h1", "interface": "eth0", "ip": "10.77.0.12", "mac": "00:16:3e:77:00:12", "source": "arp_cache"},
	{"kind": "net.neighbor", "host": "h1", "interface": "eth0", "ip": "10.77.0.66", "mac": "00:16:3e:66:00:66", "source": "arp_cache"},
	{"kind": "net.neighbor", "host": "h2", "interface": "eth0", "ip": "fd77::66", "mac": "00:16:3E:66:00:66", "source": "ndp_cache"},
	{"kind": "net.neighbor", "host": "h2", "interface": "eth0", "ip": "10.77.0.99", "mac": "", "state": "FAILED", "source": "arp_cache"},
	{"kind": "net.neighbor", "host": "h2", "interface": "eth0", "ip": "224.0.0.251", "mac": "01:00:5e:00:00:fb", "source": "capture"},
]

test_unowned_neighbor_join if {
	unowned_neighbor.deny == {{
		"msg": "MAC 00:16:3e:66:00:66 is owned by no scanned host; seen by h1 on eth0 as 10.77.0.66 (arp_cache); h2 on eth0 as fd77::66 (ndp_cache)",
		"target": "documents", "mac": "00:16:3e:66:00:66",
	}} with input as one(join_docs)
}

# In a fleet, each target gets the finding of what it saw.
test_unowned_neighbor_fleet if {
	h1 := [d | some d in join_docs; d.host == "h1"]
	h2 := [d | some d in join_docs; d.host == "h2"]
	h3 := [iface("h3", "00:16:3e:77:00:03")]
	fleet := {"targets": [
		{"name": "ssh://h1", "kind": "ssh", "host": {}, "labels": {}, "documents": h1},
		{"name": "ssh://h2", "kind": "ssh", "host": {}, "labels": {}, "documents": h2},
		{"name": "ssh://h3", "kind": "ssh", "host": {}, "labels": {}, "documents": h3},
	]}
	unowned_neighbor.deny == {
		{
			"msg": "MAC 00:16:3e:66:00:66 is owned by no scanned host; seen by h1 on eth0 as 10.77.0.66 (arp_cache); also seen by h2 on eth0 as fd77::66 (ndp_cache)",
			"target": "ssh://h1", "mac": "00:16:3e:66:00:66",
		},
		{
			"msg": "MAC 00:16:3e:66:00:66 is owned by no scanned host; seen by h2 on eth0 as fd77::66 (ndp_cache); also seen by h1 on eth0 as 10.77.0.66 (arp_cache)",
			"target": "ssh://h2", "mac": "00:16:3e:66:00:66",
		},
	} with input as fleet
}

test_unowned_neighbor_known_device if {
	count(unowned_neighbor.deny) == 0 with input as one(join_docs) with data.known_macs as ["00:16:3E:66:00:66"]
}

test_unowned_neighbor_empty if {
	count(unowned_neighbor.deny) == 0 with input as {"targets": []}
	count(unowned_neighbor.deny) == 0 with input as one([])
}

test_unowned_neighbor_needs_two_hosts if {
	docs := [
		iface("h1", "00:16:3e:77:00:01"),
		{"kind": "net.neighbor", "host": "h1", "interface": "eth0", "ip": "10.77.0.254", "mac": "00:16:3e:00:00:fe", "source": "arp_cache"},
	]
	count(unowned_neighbor.deny) == 0 with input as one(docs)
	count(unowned_neighbor.deny) == 1 with input as one(array.concat(docs, [iface("h2", "00:16:3e:77:00:02")]))
}
