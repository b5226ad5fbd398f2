# sshd-password-auth: Password authentication is disabled.
package assay.ssh.password_auth

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("passwordauthentication", sprintf("PasswordAuthentication is %q; want \"no\"", [v])) if {
	v := lib.setting("passwordauthentication")
	v != "no"
}
