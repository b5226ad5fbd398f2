# sshd-banner: A warning banner is shown before authentication.
package assay.ssh.banner

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("banner", "Banner is none; want a legal notice file") if {
	lib.setting("banner") == "none"
}
