# METADATA
# description: MAC address helpers shared by the rogue-hosts policies.
package assay.rogue_hosts.lib

# norm spells a MAC address as the collectors do: lower case, colons.
norm(mac) := lower(replace(replace(mac, "-", ":"), ".", ":"))

# valid is true for an EUI-48 address in any usual spelling.
valid(mac) if regex.match(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`, norm(mac))

# low_nibble is the second hex digit of the first octet, which holds the
# group bit (0x01) and the locally administered bit (0x02).
low_nibble(mac) := substring(norm(mac), 1, 1) if valid(mac)

# ignored is true for addresses that name no single station: empty or
# malformed, zero, broadcast, and multicast (the group bit, 0x01 of the
# first octet, which broadcast also has).
ignored(mac) if not valid(mac)

ignored(mac) if norm(mac) == "00:00:00:00:00:00"

ignored(mac) if low_nibble(mac) in {"1", "3", "5", "7", "9", "b", "d", "f"}

# local is true for locally administered addresses (bit 0x02 of the first
# octet): randomised, software-set or spoofed, not from a vendor's range.
local(mac) if low_nibble(mac) in {"2", "3", "6", "7", "a", "b", "e", "f"}

# inventory is data.known_macs, normalised; known_macs.json is a list.
inventory contains norm(m) if some m in data.known_macs

known(mac) if norm(mac) in inventory

# where says who saw a neighbor, for messages.
where(d) := sprintf("%s on %s as %s (%s)", [object.get(d, "host", "?"), object.get(d, "interface", "?"), ip_or_none(d), object.get(d, "source", "?")])

ip_or_none(d) := ip if {
	ip := object.get(d, "ip", "")
	ip != ""
}

ip_or_none(d) := "no address" if object.get(d, "ip", "") == ""
