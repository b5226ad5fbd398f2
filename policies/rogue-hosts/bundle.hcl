bundle "rogue-hosts" {
  version     = "1.0.0"
  description = "Devices on the network that no known host accounts for (MIG's rogue-host search)"
}

# The host's own interfaces and the stations it sees in its ARP and NDP
# caches. Add a capture block to hear stations that this host never talked
# to (see docs/collectors/network.md); it needs CAP_NET_RAW.
collect "interfaces" "all" {}

collect "neighbors" "cache" {}

policy "rogue-hosts-unknown-neighbor" {
  title       = "Every neighbor MAC address is in the inventory"
  description = "A station answered or spoke on a local segment with a globally unique MAC address that is not in data.known_macs (known_macs.json). Checked only once the inventory lists at least one address."
  severity    = "medium"
  enforcement = "advisory"
  controls    = ["CIS-1.1"]
  remediation = "Identify the device (switch port, DHCP lease) and add its MAC address to known_macs.json, or remove it from the network."
  input       = [collect.neighbors.cache]
  rego        = file("rego/unknown_neighbor.rego")
}

policy "rogue-hosts-local-neighbor" {
  title       = "Neighbors with locally administered MAC addresses are in the inventory"
  description = "A station uses a locally administered (randomised or software-set) MAC address that is not in data.known_macs: phones with private addresses, virtual machines, containers, or a spoofed address."
  severity    = "low"
  enforcement = "advisory"
  remediation = "Add the address to known_macs.json if the device is expected, or pin the devices of this segment to their hardware addresses."
  input       = [collect.neighbors.cache]
  rego        = file("rego/local_neighbor.rego")
}

policy "rogue-hosts-unowned-neighbor" {
  title       = "Every MAC address seen on the network belongs to a scanned host"
  description = "Across every target of the run (assay scan --inventory, assay eval --fleet --documents host1.json host2.json …), a neighbor MAC address that no scanned host has on any interface and that known_macs.json does not list: a device nobody scans, reported at each host that sees it. Needs two or more hosts; a single host's scan flags nothing."
  severity    = "high"
  enforcement = "advisory"
  remediation = "Find the device from the hosts and interfaces that see it, then scan it or account for it in known_macs.json."
  mode        = "fleet"
  input       = [collect.interfaces.all, collect.neighbors.cache]
  rego        = file("rego/unowned_neighbor.rego")
}
