# METADATA
# title: Every neighbor MAC address is in the inventory
# description: Flags a net.neighbor document whose globally unique MAC is not in data.known_macs.
package assay.rogue_hosts.unknown_neighbor

import data.assay.rogue_hosts.lib

deny contains msg if {
	input.kind == "net.neighbor"
	count(lib.inventory) > 0
	mac := lib.norm(input.mac)
	not lib.ignored(mac)
	not lib.local(mac)
	not lib.known(mac)
	msg := sprintf("unknown MAC %s seen by %s", [mac, lib.where(input)])
}
