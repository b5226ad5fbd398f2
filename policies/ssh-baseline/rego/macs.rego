# sshd-macs: Only strong MACs are offered: those the macs_allowed param
# lists (by default every MAC OpenSSH knows but MD5, SHA-1, RIPEMD-160,
# the truncated -96 ones and umac-64).
package assay.ssh.macs

import rego.v1

import data.assay.ssh.lib

allowed := {m | some m in lib.params.macs_allowed}

deny contains lib.finding("macs", sprintf("MACs offers weak %s", [concat(",", bad)])) if {
	bad := [m | some m in lib.list("macs"); m != ""; not m in allowed]
	count(bad) > 0
}
