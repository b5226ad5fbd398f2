# sshd-client-alive: Idle sessions time out (ClientAliveInterval/ClientAliveCountMax).
package assay.ssh.client_alive

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("clientaliveinterval", sprintf("ClientAliveInterval is %v; want 1 to 300 seconds", [n])) if {
	n := lib.num("clientaliveinterval")
	not between(n, 1, 300)
}

deny contains lib.finding("clientalivecountmax", sprintf("ClientAliveCountMax is %v; want 1 to 3", [n])) if {
	n := lib.num("clientalivecountmax")
	not between(n, 1, 3)
}

between(n, lo, hi) if {
	n >= lo
	n <= hi
}
