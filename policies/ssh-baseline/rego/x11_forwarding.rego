# sshd-x11-forwarding: X11 forwarding is disabled.
package assay.ssh.x11_forwarding

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("x11forwarding", "X11Forwarding is \"yes\"; want \"no\"") if {
	lib.setting("x11forwarding") == "yes"
	lib.setting("disableforwarding") != "yes"
}
