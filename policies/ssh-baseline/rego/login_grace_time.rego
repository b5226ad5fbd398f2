# sshd-login-grace-time: LoginGraceTime is at most the login_grace_time
# param (60 seconds), and not 0 (no limit).
package assay.ssh.login_grace_time

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("logingracetime", sprintf("LoginGraceTime is %v seconds; want %s", [n, lib.want_range(1, limit, "")])) if {
	n := lib.num("logingracetime")
	limit := lib.params.login_grace_time
	not ok(n, limit)
}

ok(n, limit) if {
	n >= 1
	n <= limit
}
