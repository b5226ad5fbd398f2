package assay.examples.ldap.authorized_keys_test

import data.assay.examples.ldap.authorized_keys as ak

a1 := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGEuX2wdqtvomSZXZBWi0+CRPk98DbrL+Ik2R3QFssPw"

a2 := "ssh-rsa AAAAB3NzaC1yc2EAAAAgci5MbA6qyOiKJkRkBqLA4II+XHweutj4mjZUdBay0PA="

b1 := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGIuXGweqtjomiZUZBai0OCSPkx8DrrI+Io2RHQGssDw"

c1 := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGMuXWwfqtnomyZVZBei0eCTPk18D7rJ+Is2RXQHssHw"

foreign := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHgmRmQEosLggC5ObAyqyuiINlZ0FLLS8JA+Xnwcutr4"

directory := [
	{"dn": "uid=alice,ou=people", "uid": ["alice"], "homeDirectory": ["/home/alice"], "sshPublicKey": [concat(" ", [a1, "alice@laptop"]), a2]},
	{"dn": "uid=bob,ou=people", "uid": ["bob"], "homeDirectory": ["/home/bob/"], "sshPublicKey": [b1]},
	{"dn": "uid=carol,ou=people", "uid": ["carol"], "homeDirectory": ["/home/carol"], "loginShell": ["/usr/sbin/nologin"], "sshPublicKey": [c1]},
	{"dn": "uid=dave,ou=people", "uid": ["dave"], "sshPublicKey": [b1]},
	{"dn": "uid=erin,ou=people", "uid": ["erin"], "homeDirectory": ["/home/erin"], "sshPublicKey": [c1], "nsAccountLock": ["TRUE"]},
]

file(path, lines) := {"kind": "file", "collector": "authorized_keys", "path": path, "content": {"lines": lines, "truncated": false}}

passwd := {"kind": "file", "collector": "passwd", "path": "/etc/passwd", "content": {
	"lines": [
		"root:x:0:0:root:/root:/bin/bash",
		"dave:x:1004:100::/srv/dave:/bin/bash",
	],
	"truncated": false,
}}

denied(docs, settings) := d if {
	d := ak.deny with input as {"documents": array.concat([passwd], docs)}
		with data.directory as directory
		with data.ldap_keys_settings as settings
}

test_matching_keys_pass if {
	docs := [file("/home/alice/.ssh/authorized_keys", [
		"# managed by config management",
		concat(" ", [a1, "another comment"]),
		"",
		a2,
	])]
	count(denied(docs, {})) == 0
}

test_foreign_key_flagged_with_line if {
	docs := [file("/home/alice/.ssh/authorized_keys", [a1, foreign])]
	d := denied(docs, {})
	count(d) == 1
	some f in d
	f.path == "/home/alice/.ssh/authorized_keys"
	f.line == 2
	contains(f.msg, "not one of alice's keys")
}

test_options_ignored if {
	docs := [file("/home/alice/.ssh/authorized_keys", [
		concat(" ", [`no-pty,command="echo hello world",from="10.0.0.1"`, a1, "c"]),
		concat(" ", [`restrict,command="x y"`, foreign]),
	])]
	d := denied(docs, {})
	count(d) == 1
	some f in d
	f.line == 2
}

test_another_users_key_is_foreign if {
	docs := [file("/home/bob/.ssh/authorized_keys", [b1, a1])]
	{f.line | some f in denied(docs, {})} == {2}
}

test_missing_file_only_when_asked if {
	count(denied([], {})) == 0
	msgs := {f.msg | some f in denied([], {"report_missing": true})}
	msgs == {
		"alice has keys in the directory but /home/alice/.ssh/authorized_keys is missing or unreadable",
		"bob has keys in the directory but /home/bob/.ssh/authorized_keys is missing or unreadable",
		"dave has keys in the directory but /srv/dave/.ssh/authorized_keys is missing or unreadable",
	}
}

test_disabled_user_keys_flagged if {
	docs := [
		file("/home/carol/.ssh/authorized_keys", [c1]),
		file("/home/erin/.ssh/authorized_keys", ["# nothing", c1]),
	]
	d := denied(docs, {"report_missing": false})
	{[f.path, f.line] | some f in d} == {["/home/carol/.ssh/authorized_keys", 1], ["/home/erin/.ssh/authorized_keys", 2]}
	every f in d {
		contains(f.msg, "is disabled in the directory")
	}
}

test_home_from_passwd if {
	docs := [file("/srv/dave/.ssh/authorized_keys", [b1, foreign])]
	{[f.path, f.line] | some f in denied(docs, {})} == {["/srv/dave/.ssh/authorized_keys", 2]}
}

test_home_unknown if {
	d := ak.deny with input as {"documents": []}
		with data.directory as directory
		with data.ldap_keys_settings as {}
	{f.msg | some f in d} == {"dave (uid=dave,ou=people) has keys but no homeDirectory and no /etc/passwd entry"}
}

test_garbage_line if {
	docs := [file("/home/alice/.ssh/authorized_keys", [a1, "this is not a key"])]
	{f.line | some f in denied(docs, {})} == {2}
}

test_files_of_unknown_users_ignored if {
	docs := [file("/home/mallory/.ssh/authorized_keys", [foreign]), file("/root/.ssh/authorized_keys", [foreign])]
	count(denied(docs, {})) == 0
}

test_truncated_file_warned if {
	doc := {"kind": "file", "path": "/home/bob/.ssh/authorized_keys", "content": {"lines": [b1], "truncated": true}}
	w := ak.warn with input as {"documents": [doc]} with data.directory as directory
	count(w) == 1
}

test_custom_key_file if {
	docs := [file("/home/alice/.ssh/authorized_keys2", [foreign])]
	count(denied(docs, {"key_file": ".ssh/authorized_keys2"})) == 1
	count(denied(docs, {})) == 0
}

# The fast paths: options without spaces (quoted or not) before a key.
test_options_without_spaces if {
	docs := [file("/home/alice/.ssh/authorized_keys", [
		concat(" ", [`from="10.0.0.1",no-pty`, a1]),
		concat(" ", ["no-pty", a2, "c"]),
		concat(" ", [`command="/bin/true"`, foreign]),
		concat(" ", [`command="a\"b"`, foreign]),
	])]
	{f.line | some f in denied(docs, {})} == {3, 4}
}

# A directory key inside quoted options is not the line's key.
test_key_hidden_in_options if {
	docs := [file("/home/alice/.ssh/authorized_keys", [
		concat(" ", [concat("", [`command="echo `, a1, ` x"`]), foreign]),
		concat(" ", [concat("", [`command="`, a1, `"`]), foreign]),
	])]
	{f.line | some f in denied(docs, {})} == {1, 2}
}

# A blob under another type's name is not that key; one-word lines are not
# keys.
test_type_must_match_blob if {
	b := split(a1, " ")[1]
	docs := [file("/home/alice/.ssh/authorized_keys", [concat(" ", ["ssh-rsa", b]), "garbage", "ssh-ed25519"])]
	{f.line | some f in denied(docs, {})} == {1, 2, 3}
}
