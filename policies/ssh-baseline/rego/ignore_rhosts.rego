# sshd-ignore-rhosts: rhosts files are ignored.
package assay.ssh.ignore_rhosts

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("ignorerhosts", sprintf("IgnoreRhosts is %q; want \"yes\"", [v])) if {
	v := lib.setting("ignorerhosts")
	v != "yes"
}
