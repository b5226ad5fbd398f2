# sshd-config-valid: sshd accepts its configuration.
package assay.ssh.config_valid

import rego.v1

import data.assay.ssh.lib

deny contains {"msg": sprintf("sshd would refuse this configuration: %s", [e.message]), "path": e.path, "line": e.line} if {
	some e in input.errors
	e.fatal
}

warn contains {"msg": e.message, "path": e.path, "line": e.line} if {
	some e in input.errors
	not e.fatal
}
