# sshd-authentication-methods: with password authentication off, a public
# key is required: AuthenticationMethods publickey, or a stricter list in
# which every method set includes publickey.
package assay.ssh.authentication_methods

import rego.v1

import data.assay.ssh.lib

# key_only: every method set of the list needs a public key.
key_only(v) if {
	v != "any"
	every set in split(v, " ") {
		some m in split(set, ",")
		startswith(m, "publickey")
	}
}

deny contains lib.finding("authenticationmethods", sprintf("PasswordAuthentication is no but AuthenticationMethods is %q: other methods (keyboard-interactive, GSSAPI, host-based) still log in without a key; want \"publickey\"", [v])) if {
	lib.setting("passwordauthentication") == "no"
	v := lib.setting("authenticationmethods")
	not key_only(v)
}
