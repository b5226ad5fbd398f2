# openssh-cve-2021-41617: AuthorizedKeysCommand with sshd's groups.
package assay.openssh.cve_2021_41617

import rego.v1

import data.assay.openssh.lib

cve := "CVE-2021-41617"

# commands are the configured helper commands run as a non-root user.
commands contains k if {
	some k in ["authorizedkeyscommand", "authorizedprincipalscommand"]
	input.settings[k] != "none"
	user := input.settings[concat("", [k, "user"])]
	not user in {"none", "root"}
}

deny contains {"msg": sprintf("%s applies: %s; %s runs as %s with sshd's supplementary groups", [cve, v.why, k, input.settings[concat("", [k, "user"])]]), "path": src.path, "line": src.line} if {
	some k in commands
	v := lib.verdict(cve)
	v.vulnerable
	src := object.get(input.sources, k, {"path": input.path, "line": 0})
}
