# openssh-cve-2023-48795: Terrapin.
package assay.openssh.cve_2023_48795

import rego.v1

import data.assay.openssh.lib

cve := "CVE-2023-48795"

# exposed lists what the effective configuration offers that Terrapin needs.
exposed contains "chacha20-poly1305@openssh.com" if "chacha20-poly1305@openssh.com" in split(input.settings.ciphers, ",")

exposed contains m if {
	some m in split(input.settings.macs, ",")
	endswith(m, "-etm@openssh.com")
}

deny contains {"msg": sprintf("%s (Terrapin) applies: %s; enabled: %s", [cve, v.why, concat(", ", sort(exposed))]), "path": src.path, "line": src.line} if {
	v := lib.verdict(cve)
	v.vulnerable
	count(exposed) > 0
	src := object.get(input.sources, "ciphers", object.get(input.sources, "macs", {"path": input.path, "line": 0}))
}
