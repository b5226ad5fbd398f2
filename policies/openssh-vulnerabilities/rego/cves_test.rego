package assay.openssh.cves_test

import rego.v1

import data.assay.openssh.cve_2021_41617
import data.assay.openssh.cve_2023_38408
import data.assay.openssh.cve_2023_48795
import data.assay.openssh.cve_2024_6387
import data.assay.openssh.cve_2025_26466
import data.assay.openssh.version_known

base := {
	"kind": "sshd_config", "path": "/etc/ssh/sshd_config", "connection": {}, "sources": {},
	"settings": {
		"logingracetime": "120", "ciphers": "chacha20-poly1305@openssh.com,aes128-ctr",
		"macs": "umac-64-etm@openssh.com,hmac-sha2-256", "allowagentforwarding": "yes",
		"authorizedkeyscommand": "none", "authorizedkeyscommanduser": "none",
		"authorizedprincipalscommand": "none", "authorizedprincipalscommanduser": "none",
	},
	"ssh_agent": {"installed": true, "package": "openssh-client", "version": "1:9.2p1-2", "release": "9.2p1"},
}

ubuntu2404(version) := object.union(base, {"distribution": {"id": "ubuntu", "version_id": "24.04"}, "openssh_version": version, "openssh_release": "9.6p1", "version_source": "dpkg"})

debian12(version) := object.union(base, {"distribution": {"id": "debian", "version_id": "12"}, "openssh_version": version, "openssh_release": "9.2p1", "version_source": "dpkg"})

test_regresshion_vulnerable if {
	count(cve_2024_6387.deny) == 1 with input as ubuntu2404("1:9.6p1-3ubuntu13")
}

test_regresshion_fixed_by_backport if {
	count(cve_2024_6387.deny) == 0 with input as ubuntu2404("1:9.6p1-3ubuntu13.5")
}

test_regresshion_mitigated if {
	d := object.union(ubuntu2404("1:9.6p1-3ubuntu13"), {"settings": object.union(base.settings, {"logingracetime": "0"})})
	count(cve_2024_6387.deny) == 0 with input as d
	count(cve_2024_6387.warn) == 1 with input as d
}

test_terrapin_needs_exposure if {
	count(cve_2023_48795.deny) == 1 with input as debian12("1:9.2p1-2+deb12u1")
	d := object.union(debian12("1:9.2p1-2+deb12u1"), {"settings": object.union(base.settings, {"ciphers": "aes128-ctr", "macs": "hmac-sha2-256"})})
	count(cve_2023_48795.deny) == 0 with input as d
	count(cve_2023_48795.deny) == 0 with input as debian12("1:9.2p1-2+deb12u2")
}

test_agent_only_when_installed if {
	d := object.union(debian12("1:9.2p1-2"), {"ssh_agent": {"installed": true, "package": "openssh-client", "version": "1:9.2p1-2", "release": "9.2p1"}})
	count(cve_2023_38408.deny) == 1 with input as d
	none := object.union(debian12("1:9.2p1-2"), {"ssh_agent": {"installed": false}})
	count(cve_2023_38408.deny) == 0 with input as none
	fixed := object.union(debian12("1:9.2p1-2"), {"ssh_agent": {"installed": true, "package": "openssh-client", "version": "1:9.2p1-2+deb12u1", "release": "9.2p1"}})
	count(cve_2023_38408.deny) == 0 with input as fixed
}

test_ping_dos if {
	count(cve_2025_26466.deny) == 1 with input as ubuntu2404("1:9.6p1-3ubuntu13.5")
	count(cve_2025_26466.deny) == 0 with input as ubuntu2404("1:9.6p1-3ubuntu13.8")
	count(cve_2025_26466.deny) == 0 with input as debian12("1:9.2p1-2")
}

test_keys_command_needs_a_user if {
	d := object.union(base, {"distribution": {"id": "ubuntu", "version_id": "20.04"}, "openssh_version": "1:8.2p1-4ubuntu0.3", "openssh_release": "8.2p1", "version_source": "dpkg"})
	count(cve_2021_41617.deny) == 0 with input as d
	cmd := object.union(d, {"settings": object.union(base.settings, {"authorizedkeyscommand": "/usr/bin/keys %u", "authorizedkeyscommanduser": "nobody"})})
	count(cve_2021_41617.deny) == 1 with input as cmd
}

test_version_unknown if {
	d := object.union(base, {"openssh_version": "", "version_source": "none", "distribution": {}})
	count(version_known.warn) == 1 with input as d
}
