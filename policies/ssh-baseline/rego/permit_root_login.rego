# sshd-permit-root-login: Root cannot log in over SSH.
package assay.ssh.permit_root_login

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("permitrootlogin", sprintf("PermitRootLogin is %q; want \"no\"", [v])) if {
	v := lib.setting("permitrootlogin")
	v != "no"
}
