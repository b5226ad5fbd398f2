# sshd-ciphers: Only strong ciphers are offered.
package assay.ssh.ciphers

import rego.v1

import data.assay.ssh.lib

weak(c) if endswith(c, "-cbc")

weak(c) if startswith(c, "3des")

weak(c) if contains(c, "arcfour")

weak(c) if contains(c, "blowfish")

weak(c) if c == "rijndael-cbc@lysator.liu.se"

deny contains lib.finding("ciphers", sprintf("Ciphers offers weak %s", [concat(",", bad)])) if {
	bad := [c | some c in lib.list("ciphers"); weak(c)]
	count(bad) > 0
}
