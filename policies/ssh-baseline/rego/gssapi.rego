# sshd-gssapi: GSSAPI authentication is disabled.
package assay.ssh.gssapi

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("gssapiauthentication", sprintf("GSSAPIAuthentication is %q; want \"no\"", [v])) if {
	v := lib.setting("gssapiauthentication")
	v != "no"
}
