package assay.ssh.password_auth

import data.assay.lib.util

# METADATA
# title: overridden by the HCL title
# custom:
#   severity: low
deny contains msg if {
	util.is_yes(input.settings.passwordauthentication)
	msg := "PasswordAuthentication is enabled"
}
