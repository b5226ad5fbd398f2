# sshd-kex: Only strong key exchange algorithms are offered: those the
# kex_algorithms_allowed param lists (by default every one OpenSSH knows
# but the SHA-1 ones).
package assay.ssh.kex

import rego.v1

import data.assay.ssh.lib

allowed := {k | some k in lib.params.kex_algorithms_allowed}

deny contains lib.finding("kexalgorithms", sprintf("KexAlgorithms offers weak %s", [concat(",", bad)])) if {
	bad := [k | some k in lib.list("kexalgorithms"); k != ""; not k in allowed]
	count(bad) > 0
}
