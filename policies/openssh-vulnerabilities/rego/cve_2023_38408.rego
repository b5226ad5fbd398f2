# openssh-cve-2023-38408: ssh-agent PKCS#11 provider loading.
package assay.openssh.cve_2023_38408

import rego.v1

import data.assay.openssh.lib

cve := "CVE-2023-38408"

forwarding := "AllowAgentForwarding is yes: a remote peer can reach a forwarded agent" if input.settings.allowagentforwarding == "yes"

forwarding := "AllowAgentForwarding is no" if input.settings.allowagentforwarding != "yes"

deny contains {"msg": sprintf("%s (ssh-agent PKCS#11) applies to the installed agent (%s): %s; %s", [cve, input.ssh_agent.package, v.why, forwarding]), "path": input.path, "line": 0} if {
	input.ssh_agent.installed
	v := lib.verdict(cve)
	v.vulnerable
}
