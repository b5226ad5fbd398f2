# sshd-macs: Only strong MACs are offered.
package assay.ssh.macs

import rego.v1

import data.assay.ssh.lib

weak(m) if contains(m, "md5")

weak(m) if contains(m, "ripemd160")

weak(m) if contains(m, "-96")

weak(m) if startswith(m, "umac-64")

weak(m) if m in {"hmac-sha1", "hmac-sha1-etm@openssh.com"}

deny contains lib.finding("macs", sprintf("MACs offers weak %s", [concat(",", bad)])) if {
	bad := [m | some m in lib.list("macs"); weak(m)]
	count(bad) > 0
}
