# sshd-max-sessions: MaxSessions is 10 or less.
package assay.ssh.max_sessions

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("maxsessions", sprintf("MaxSessions is %v; want 10 or less", [n])) if {
	n := lib.num("maxsessions")
	n > 10
}
