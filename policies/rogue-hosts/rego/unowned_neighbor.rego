# METADATA
# title: Every MAC address seen on the network belongs to a scanned host
# description: >-
#   Aggregate mode: input.documents holds the net.interface and net.neighbor
#   documents of many hosts. A neighbor MAC that no interface owns (current
#   or permanent address) is a device nobody scans — MIG's rogue-host join.
package assay.rogue_hosts.unowned_neighbor

import data.assay.rogue_hosts.lib

# hosts are the scanned hosts. The join means something only across two or
# more: on one host alone, every neighbor (the default gateway first) would
# be "unowned".
hosts contains object.get(d, "host", "") if {
	some d in input.documents
	d.kind == "net.interface"
}

owned contains lib.norm(d.mac) if {
	some d in input.documents
	d.kind == "net.interface"
}

owned contains lib.norm(d.permanent_mac) if {
	some d in input.documents
	d.kind == "net.interface"
	d.permanent_mac != ""
}

# unowned maps each unowned neighbor MAC to where it was seen.
unowned[mac] contains lib.where(d) if {
	some d in input.documents
	d.kind == "net.neighbor"
	mac := lib.norm(d.mac)
	not lib.ignored(mac)
	not mac in owned
}

deny contains msg if {
	count(hosts) >= 2
	some mac, seen in unowned
	msg := sprintf("MAC %s is owned by no scanned host; seen by %s", [mac, concat("; ", sort(seen))])
}
