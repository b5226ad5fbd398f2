# sshd-permit-user-environment: Users cannot set the server's environment.
package assay.ssh.permit_user_environment

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("permituserenvironment", sprintf("PermitUserEnvironment is %q; want \"no\"", [v])) if {
	v := lib.setting("permituserenvironment")
	v != "no"
}
