package assay.authorized_keys.lines_test

import data.assay.authorized_keys.lines

ed := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ5Yk1PZEw0d2pWcUZyN0h4dTJOb3lTbVZhQ0xqZ0Q alice@laptop"

doc(ls) := {"kind": "file", "type": "file", "path": "/home/alice/.ssh/authorized_keys", "mode": "-rw-------", "mode_octal": "0600", "content": {"lines": ls, "truncated": false}}

lines_of(result) := {f.line | some f in result}

test_comments_blanks_and_allowed_keys_pass if {
	count(lines.deny) == 0 with input as doc(["# keys", "", "   ", ed, "  # indented comment"])
}

test_options_allowed if {
	count(lines.deny) == 0 with input as doc([concat(" ", [`from="10.0.0.0/8,192.168.1.1",no-pty,restrict`, ed])])
}

test_quoted_option_with_spaces_is_parsed if {
	r := lines.deny with input as doc([concat(" ", [`command="/usr/bin/backup --dir /srv",no-pty`, ed])])
	some f in r
	contains(f.msg, "option command is not allowed")
	f.line == 1
}

test_dsa_key_type_denied if {
	r := lines.deny with input as doc(["# x", "ssh-dss AAAAB3NzaC1kc3MAAACBAP bob"])
	lines_of(r) == {2}
	some f in r
	contains(f.msg, "key type ssh-dss is not allowed")
}

test_garbage_line_denied if {
	r := lines.deny with input as doc([ed, "this is not a key"])
	lines_of(r) == {2}
}

test_bad_key_material_denied if {
	r := lines.deny with input as doc(["ssh-ed25519 not-base64!! x"])
	some f in r
	contains(f.msg, "not base64")
}

test_empty_file_passes if {
	count(lines.deny) == 0 with input as doc([])
}

test_group_writable_denied if {
	d := object.union(doc([ed]), {"mode": "-rw--w----", "mode_octal": "0620"})
	r := lines.deny with input as d
	some f in r
	contains(f.msg, "writable by group or others")
}

test_truncated_denied if {
	d := object.union(doc([ed]), {"content": {"lines": [ed], "truncated": true}})
	count(lines.deny) == 1 with input as d
}

test_symlink_warns if {
	r := lines.warn with input as {"type": "symlink", "path": "/root/.ssh/authorized_keys", "link": "/tmp/keys"}
	count(r) == 1
}

test_allowed_types_come_from_data if {
	r := lines.deny with input as doc([ed]) with data.assay.params["authorized-keys"] as {"allowed_key_types": ["ssh-rsa"], "allowed_options": []}
	count(r) == 1
}
