# sshd-permit-empty-passwords: Empty passwords are refused.
package assay.ssh.permit_empty_passwords

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("permitemptypasswords", sprintf("PermitEmptyPasswords is %q; want \"no\"", [v])) if {
	v := lib.setting("permitemptypasswords")
	v != "no"
}
