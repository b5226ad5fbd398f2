# METADATA
# title: Root cannot log in with a password
# description: PermitRootLogin must be no or prohibit-password.
# custom:
#   severity: critical
#   controls: [CIS-5.2.10, STIG-V-238218]
#   remediation: Set `PermitRootLogin no`.
package assay.ssh.root_login

deny contains {"msg": "root can log in", "path": input.path} if {
	input.settings.permitrootlogin == "yes"
}
