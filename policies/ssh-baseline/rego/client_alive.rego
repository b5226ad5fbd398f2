# sshd-client-alive: Idle sessions time out (ClientAliveInterval/ClientAliveCountMax),
# each within the range its params give (1 to 300 seconds, 1 to 3).
package assay.ssh.client_alive

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("clientaliveinterval", sprintf("ClientAliveInterval is %v; want %s", [n, lib.want_range(lo, hi, " seconds")])) if {
	n := lib.num("clientaliveinterval")
	lo := lib.params.client_alive_interval_min
	hi := lib.params.client_alive_interval
	not between(n, lo, hi)
}

deny contains lib.finding("clientalivecountmax", sprintf("ClientAliveCountMax is %v; want %s", [n, lib.want_range(lo, hi, "")])) if {
	n := lib.num("clientalivecountmax")
	lo := lib.params.client_alive_count_max_min
	hi := lib.params.client_alive_count_max
	not between(n, lo, hi)
}

between(n, lo, hi) if {
	n >= lo
	n <= hi
}
