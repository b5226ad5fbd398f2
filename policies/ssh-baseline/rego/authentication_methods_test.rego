package assay.ssh.authentication_methods_test

import rego.v1

import data.assay.ssh.authentication_methods

doc(settings, sources) := {"kind": "sshd_config", "path": "/etc/ssh/sshd_config", "connection": {}, "settings": settings, "sources": sources, "errors": [], "valid": true, "differs": []}

test_key_only if {
	count(authentication_methods.deny) == 0 with input as doc({"passwordauthentication": "no", "authenticationmethods": "publickey"}, {})
}

test_stricter_list if {
	count(authentication_methods.deny) == 0 with input as doc({"passwordauthentication": "no", "authenticationmethods": "publickey,keyboard-interactive publickey,gssapi-with-mic"}, {})
}

test_any_with_password_off if {
	some f in authentication_methods.deny with input as doc({"passwordauthentication": "no", "authenticationmethods": "any"}, {})
	contains(f.msg, "\"any\"")
	f.line == 0
}

test_a_set_without_key if {
	count(authentication_methods.deny) == 1 with input as doc({"passwordauthentication": "no", "authenticationmethods": "publickey keyboard-interactive"}, {"authenticationmethods": {"path": "/etc/ssh/sshd_config", "line": 9}})
}

test_password_on_is_another_policy if {
	count(authentication_methods.deny) == 0 with input as doc({"passwordauthentication": "yes", "authenticationmethods": "any"}, {})
}
