# sshd-use-pam: PAM is used.
package assay.ssh.use_pam

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("usepam", sprintf("UsePAM is %q; want \"yes\"", [v])) if {
	v := lib.setting("usepam")
	v != "yes"
}
