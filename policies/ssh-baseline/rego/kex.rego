# sshd-kex: Only strong key exchange algorithms are offered.
package assay.ssh.kex

import rego.v1

import data.assay.ssh.lib

weak(k) if endswith(k, "-sha1")

deny contains lib.finding("kexalgorithms", sprintf("KexAlgorithms offers weak %s", [concat(",", bad)])) if {
	bad := [k | some k in lib.list("kexalgorithms"); weak(k)]
	count(bad) > 0
}
