# sshd-host-keys: An Ed25519 host key is used; no DSA host key.
package assay.ssh.host_keys

import rego.v1

import data.assay.ssh.lib

keys := object.get(input.settings, "hostkey", [])

deny contains lib.finding("hostkey", sprintf("HostKey %s is a DSA key", [k])) if {
	some k in keys
	contains(k, "dsa_key")
	not contains(k, "ecdsa")
}

deny contains lib.finding("hostkey", "no Ed25519 HostKey is configured") if {
	every k in keys {
		not contains(k, "ed25519")
	}
}

warn contains lib.finding("hostkey", sprintf("the first HostKey is %s; Ed25519 is preferred", [keys[0]])) if {
	some k in keys
	contains(k, "ed25519")
	not contains(keys[0], "ed25519")
}
