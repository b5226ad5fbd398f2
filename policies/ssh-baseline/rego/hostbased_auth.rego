# sshd-hostbased-auth: Host-based authentication is disabled.
package assay.ssh.hostbased_auth

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("hostbasedauthentication", sprintf("HostbasedAuthentication is %q; want \"no\"", [v])) if {
	v := lib.setting("hostbasedauthentication")
	v != "no"
}
