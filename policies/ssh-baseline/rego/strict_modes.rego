# sshd-strict-modes: StrictModes is enabled.
package assay.ssh.strict_modes

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("strictmodes", sprintf("StrictModes is %q; want \"yes\"", [v])) if {
	v := lib.setting("strictmodes")
	v != "yes"
}
