# openssh-cve-2025-26466: SSH2_MSG_PING memory and CPU exhaustion.
package assay.openssh.cve_2025_26466

import rego.v1

import data.assay.openssh.lib

cve := "CVE-2025-26466"

deny contains {"msg": sprintf("%s (pre-authentication memory/CPU exhaustion) applies: %s", [cve, v.why]), "path": input.path, "line": 0} if {
	v := lib.verdict(cve)
	v.vulnerable
}
