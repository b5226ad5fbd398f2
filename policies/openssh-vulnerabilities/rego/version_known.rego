# openssh-version-known: the vulnerability policies need the version.
package assay.openssh.version_known

import rego.v1

warn contains {"msg": "the OpenSSH version of this target is unknown (no openssh-server in dpkg, apk or rpm, no /usr/sbin/sshd): the vulnerability policies could not judge it", "path": input.path, "line": 0} if {
	object.get(input, "openssh_version", "") == ""
}

warn contains {"msg": sprintf("the OpenSSH version comes from the sshd binary (%s), not a package database: fixes a distribution backported cannot be seen, so upstream ranges decide", [input.openssh_version]), "path": input.path, "line": 0} if {
	input.version_source == "binary"
}
