# sshd-max-auth-tries: MaxAuthTries is 4 or less.
package assay.ssh.max_auth_tries

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("maxauthtries", sprintf("MaxAuthTries is %v; want 4 or less", [n])) if {
	n := lib.num("maxauthtries")
	n > 4
}
