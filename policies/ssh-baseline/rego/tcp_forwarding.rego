# sshd-tcp-forwarding: TCP forwarding is disabled.
package assay.ssh.tcp_forwarding

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("allowtcpforwarding", sprintf("AllowTcpForwarding is %q; want \"no\"", [v])) if {
	v := lib.setting("allowtcpforwarding")
	v != "no"
	lib.setting("disableforwarding") != "yes"
}
