# sshd-max-auth-tries: MaxAuthTries is at most the max_auth_tries param (4).
package assay.ssh.max_auth_tries

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("maxauthtries", sprintf("MaxAuthTries is %v; want %v or less", [n, limit])) if {
	n := lib.num("maxauthtries")
	limit := lib.params.max_auth_tries
	n > limit
}
