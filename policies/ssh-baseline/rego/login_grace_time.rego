# sshd-login-grace-time: LoginGraceTime is one minute or less.
package assay.ssh.login_grace_time

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("logingracetime", sprintf("LoginGraceTime is %v seconds; want 1 to 60", [n])) if {
	n := lib.num("logingracetime")
	not ok(n)
}

ok(n) if {
	n >= 1
	n <= 60
}
