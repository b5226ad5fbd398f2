# sshd-ciphers: Only strong ciphers are offered: those the ciphers_allowed
# param lists (by default every cipher OpenSSH knows but the CBC modes,
# 3DES, arcfour and blowfish).
package assay.ssh.ciphers

import rego.v1

import data.assay.ssh.lib

allowed := {c | some c in lib.params.ciphers_allowed}

deny contains lib.finding("ciphers", sprintf("Ciphers offers weak %s", [concat(",", bad)])) if {
	bad := [c | some c in lib.list("ciphers"); c != ""; not c in allowed]
	count(bad) > 0
}
