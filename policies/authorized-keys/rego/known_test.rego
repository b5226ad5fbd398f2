package assay.authorized_keys.known_test

import data.assay.authorized_keys.known

alice_key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ5Yk1PZEw0d2pWcUZyN0h4dTJOb3lTbVZhQ0xqZ0Q"

rogue_key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRogueRogueRogueRogueRogueRogue"

export := {"users": [
	{"uid": "alice", "homeDirectory": "/home/alice", "sshPublicKey": [concat(" ", [alice_key, "alice@ldap"])]},
	{"uid": "al", "homeDirectory": "/home/al", "sshPublicKey": []},
]}

doc(path, ls) := {"kind": "file", "type": "file", "path": path, "content": {"lines": ls, "truncated": false}}

test_known_key_passes if {
	count(known.deny) == 0 with input as doc("/home/alice/.ssh/authorized_keys", ["# mine", concat(" ", [alice_key, "another comment"])])
		with data.authorized_keys_allowed as export
}

test_unknown_key_flagged_with_line if {
	r := known.deny with input as doc("/home/alice/.ssh/authorized_keys", [concat(" ", [alice_key, "a"]), concat(" ", [rogue_key, "evil@x"])])
		with data.authorized_keys_allowed as export
	count(r) == 1
	some f in r
	f.line == 2
	f.path == "/home/alice/.ssh/authorized_keys"
	contains(f.msg, "not registered for user alice")
}

test_key_with_options_matched_on_material if {
	count(known.deny) == 0 with input as doc("/home/alice/.ssh/authorized_keys", [concat(" ", ["no-pty", alice_key])])
		with data.authorized_keys_allowed as export
}

test_prefix_home_is_not_confused if {
	# /home/al is not the owner of /home/alice/..., and al has no keys.
	r := known.deny with input as doc("/home/al/.ssh/authorized_keys", [concat(" ", [alice_key, "x"])])
		with data.authorized_keys_allowed as export
	count(r) == 1
}

test_unlisted_home_flagged if {
	r := known.deny with input as doc("/home/mallory/.ssh/authorized_keys", [alice_key])
		with data.authorized_keys_allowed as export
	count(r) == 1
}

test_no_export_no_findings if {
	count(known.deny) == 0 with input as doc("/home/x/.ssh/authorized_keys", [rogue_key])
}
