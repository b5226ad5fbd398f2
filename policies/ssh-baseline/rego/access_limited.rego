# sshd-access-limited: SSH access is limited to named users or groups.
package assay.ssh.access_limited

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("allowgroups", "none of AllowUsers, AllowGroups, DenyUsers, DenyGroups is set") if {
	every k in ["allowusers", "allowgroups", "denyusers", "denygroups"] {
		not input.settings[k]
	}
}
