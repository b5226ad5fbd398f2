# openssh-cve-2024-6387: regreSSHion.
package assay.openssh.cve_2024_6387

import rego.v1

import data.assay.openssh.lib

cve := "CVE-2024-6387"

deny contains {"msg": sprintf("%s (regreSSHion) applies: %s; LoginGraceTime is %s", [cve, v.why, input.settings.logingracetime]), "path": input.path, "line": 0} if {
	v := lib.verdict(cve)
	v.vulnerable
	input.settings.logingracetime != "0"
}

warn contains {"msg": sprintf("%s (regreSSHion) applies but LoginGraceTime 0 mitigates it (unauthenticated connections are then never timed out): %s", [cve, v.why]), "path": src.path, "line": src.line} if {
	v := lib.verdict(cve)
	v.vulnerable
	input.settings.logingracetime == "0"
	src := object.get(input.sources, "logingracetime", {"path": input.path, "line": 0})
}
