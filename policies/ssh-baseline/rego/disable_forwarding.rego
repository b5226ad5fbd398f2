# sshd-disable-forwarding: All forwarding is disabled (DisableForwarding).
package assay.ssh.disable_forwarding

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("disableforwarding", sprintf("DisableForwarding is %q; want \"yes\"", [v])) if {
	v := lib.setting("disableforwarding")
	v != "yes"
}
