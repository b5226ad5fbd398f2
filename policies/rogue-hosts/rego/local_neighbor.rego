# METADATA
# title: Neighbors with locally administered MAC addresses are in the inventory
# description: Flags a net.neighbor document whose locally administered MAC is not in data.known_macs.
package assay.rogue_hosts.local_neighbor

import data.assay.rogue_hosts.lib

deny contains msg if {
	input.kind == "net.neighbor"
	count(lib.inventory) > 0
	mac := lib.norm(input.mac)
	not lib.ignored(mac)
	lib.local(mac)
	not lib.known(mac)
	msg := sprintf("unknown locally administered MAC %s seen by %s", [mac, lib.where(input)])
}
