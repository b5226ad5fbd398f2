# sshd-config-valid: sshd accepts its configuration.
package assay.ssh.config_valid

import rego.v1

import data.assay.ssh.lib

# Errors are judged on the document without a connection spec: the same
# configuration gives the same errors for every spec, and each is reported
# once.
deny contains {"msg": sprintf("sshd would refuse this configuration: %s", [e.message]), "path": e.path, "line": e.line} if {
	count(input.connection) == 0
	some e in input.errors
	e.fatal
}

warn contains {"msg": e.message, "path": e.path, "line": e.line} if {
	count(input.connection) == 0
	some e in input.errors
	not e.fatal
}
