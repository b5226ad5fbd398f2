# METADATA
# title: Every MAC address seen on the network belongs to a scanned host
# description: >-
#   Fleet mode: input.targets holds the net.interface and net.neighbor
#   documents of every target of the run. A neighbor MAC that no interface
#   of any target owns (current or permanent address) and that
#   data.known_macs does not list is a device nobody scans — MIG's
#   rogue-host join — reported at each target that sees it.
package assay.rogue_hosts.unowned_neighbor

import data.assay.rogue_hosts.lib

# hosts are the scanned hosts: each target's host names. A target may
# hold several hosts' documents (assay eval without --fleet judges all its
# files as one target). The join means something only across two or more:
# on one host alone, every neighbor (the default gateway first) would be
# "unowned".
hosts contains [t.name, object.get(d, "host", "")] if {
	some t in input.targets
	some d in t.documents
	d.kind == "net.interface"
}

owned contains lib.norm(d.mac) if {
	some t in input.targets
	some d in t.documents
	d.kind == "net.interface"
}

owned contains lib.norm(d.permanent_mac) if {
	some t in input.targets
	some d in t.documents
	d.kind == "net.interface"
	d.permanent_mac != ""
}

# sightings are [MAC, target, where] for each unowned neighbor MAC.
sightings contains [mac, t.name, lib.where(d)] if {
	some t in input.targets
	some d in t.documents
	d.kind == "net.neighbor"
	mac := lib.norm(d.mac)
	not lib.ignored(mac)
	not mac in owned
	not lib.known(mac)
}

deny contains {"msg": msg, "target": name, "mac": mac} if {
	count(hosts) >= 2
	some [mac, name, _] in sightings
	here := {w | some [m, n, w] in sightings; m == mac; n == name}
	elsewhere := {w | some [m, n, w] in sightings; m == mac; n != name}
	msg := concat("", [
		sprintf("MAC %s is owned by no scanned host; seen by %s", [mac, concat("; ", sort(here))]),
		also(elsewhere),
	])
}

also(seen) := "" if count(seen) == 0

also(seen) := sprintf("; also seen by %s", [concat("; ", sort(seen))]) if count(seen) > 0
