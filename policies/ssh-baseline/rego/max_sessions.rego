# sshd-max-sessions: MaxSessions is at most the max_sessions param (10).
package assay.ssh.max_sessions

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("maxsessions", sprintf("MaxSessions is %v; want %v or less", [n, limit])) if {
	n := lib.num("maxsessions")
	limit := lib.params.max_sessions
	n > limit
}
