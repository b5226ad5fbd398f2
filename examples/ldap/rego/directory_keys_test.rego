package assay.examples.ldap.directory_keys_test

import data.assay.examples.ldap.directory_keys as dk

good := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGEuX2wdqtvomSZXZBWi0+CRPk98DbrL+Ik2R3QFssPw alice"

test_well_formed_keys_pass if {
	count(dk.deny) == 0 with data.directory as [{"dn": "uid=a", "uid": ["a"], "sshPublicKey": [good]}]
}

test_malformed_keys_reported if {
	entries := [{"dn": "uid=m", "uid": ["m"], "sshPublicKey": [
		good,
		"ssh-ed25519 not*base64",
		"ssh-foo AAAAC3NzaC1lZDI1NTE5AAAAIGEuX2wdqtvomSZXZBWi0+CRPk98DbrL+Ik2R3QFssPw",
		# a valid ed25519 blob labelled as RSA
		"ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIGEuX2wdqtvomSZXZBWi0+CRPk98DbrL+Ik2R3QFssPw",
		"",
	]}]
	msgs := {f.msg | some f in dk.deny} with data.directory as entries
	count(msgs) == 4
	every i in [2, 3, 4, 5] {
		some m in msgs
		startswith(m, sprintf("uid=m: sshPublicKey value %d is not", [i]))
	}
}

test_entry_without_uid if {
	{f.msg | some f in dk.deny} == {"uid=x: an entry without uid"} with data.directory as [{"dn": "uid=x"}]
}

test_long_values_abbreviated if {
	long := concat("", ["ssh-ed25519 ", concat("", [c | some _ in numbers.range(1, 100); c := "*"])])
	some f in dk.deny with data.directory as [{"dn": "d", "uid": ["u"], "sshPublicKey": [long]}]
	endswith(f.msg, `..."`)
}
