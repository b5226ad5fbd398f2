// Package ldap is the data "ldap" kind: a paged search of an LDAP directory
// whose entries policies read as data.NAME, so that what a host holds
// (authorized_keys, sudoers, accounts) can be judged against the directory
// that says who should hold what.
//
//	data "ldap" "people" {
//	  url          = "ldaps://ldap.example.com"
//	  bind_dn      = "cn=assay,ou=services,dc=example,dc=com"
//	  password_env = "ASSAY_LDAP_PASSWORD"
//	  base_dn      = "ou=people,dc=example,dc=com"
//	  filter       = "(objectClass=posixAccount)"
//	  attributes   = ["uid", "homeDirectory", "loginShell", "sshPublicKey"]
//	}
//
// data.people is then a list of entries sorted by DN, each an object with
// "dn" (a string) and one key per attribute, whose value is always a list
// of strings, even for an attribute with one value: policies never have to
// ask which of the two shapes they got. docs/data-sources.md is the
// reference.
//
// The password never appears in the bundle (an inline password attribute is
// an error naming password_env and password_file), nor in any message, log
// line, output or metric; password-like attributes (userPassword, …) are
// never returned. The bundle only names the variable or file: the operator
// allows it (--allow-env, --allow-secret-file), else nothing is read.
package ldap
