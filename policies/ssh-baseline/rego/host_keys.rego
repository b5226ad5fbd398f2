# sshd-host-keys: an Ed25519 host key is used; no DSA host key; RSA host
# keys have at least the rsa_host_key_min_bits param (3072); every host
# key is of a type host_key_types_allowed lists, and HostKeyAlgorithms
# offers only what host_key_algorithms_allowed lists (by default every
# algorithm OpenSSH knows: overlays narrow it). Judged on the keys sshd
# would load from the target (input.host_keys: type and size read from the
# key files), or on the HostKey names when a document has no keys
# (documents from elsewhere).
package assay.ssh.host_keys

import rego.v1

import data.assay.ssh.lib

keys := object.get(input.settings, "hostkey", [])

loaded := [k | some k in object.get(input, "host_keys", []); k.loaded]

have_files if count(object.get(input, "host_keys", [])) > 0

# at points a finding at the HostKey line of key k (the main file for a
# default key).
at(k, msg) := object.union({"msg": sprintf("%s%s", [msg, lib.conn])}, {"path": k.file, "line": k.line}) if count(input.connection) == 0

deny contains at(k, sprintf("HostKey %s is a DSA key", [k.path])) if {
	some k in input.host_keys
	k.type == "ssh-dss"
}

deny contains at(k, sprintf("HostKey %s is a %d-bit RSA key; want at least %v bits", [k.path, k.bits, min_bits])) if {
	some k in input.host_keys
	k.type == "ssh-rsa"
	min_bits := lib.params.rsa_host_key_min_bits
	k.bits < min_bits
}

# A key of a type the profile does not allow (DSA has its own finding).
deny contains at(k, sprintf("HostKey %s is a %s key; allowed: %s", [k.path, k.type, concat(", ", lib.params.host_key_types_allowed)])) if {
	some k in input.host_keys
	k.type
	k.type != "ssh-dss"
	not k.type in lib.params.host_key_types_allowed
}

deny contains lib.finding("hostkeyalgorithms", sprintf("HostKeyAlgorithms offers weak %s", [concat(",", bad)])) if {
	allowed := {a | some a in lib.params.host_key_algorithms_allowed}
	bad := [a | some a in lib.list("hostkeyalgorithms"); a != ""; not a in allowed]
	count(bad) > 0
}

deny contains lib.finding("hostkey", "no Ed25519 host key can be loaded") if {
	have_files
	every k in loaded {
		k.type != "ssh-ed25519"
	}
}

warn contains at(loaded[0], sprintf("the first host key sshd loads is %s (%s); Ed25519 is preferred", [loaded[0].path, loaded[0].type])) if {
	have_files
	some k in loaded
	k.type == "ssh-ed25519"
	loaded[0].type != "ssh-ed25519"
}

# Without key files, the HostKey names.

deny contains lib.finding("hostkey", sprintf("HostKey %s is a DSA key", [k])) if {
	not have_files
	some k in keys
	contains(k, "dsa_key")
	not contains(k, "ecdsa")
}

deny contains lib.finding("hostkey", "no Ed25519 HostKey is configured") if {
	not have_files
	every k in keys {
		not contains(k, "ed25519")
	}
}

warn contains lib.finding("hostkey", sprintf("the first HostKey is %s; Ed25519 is preferred", [keys[0]])) if {
	not have_files
	some k in keys
	contains(k, "ed25519")
	not contains(keys[0], "ed25519")
}
