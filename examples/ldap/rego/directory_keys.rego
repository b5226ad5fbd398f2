# METADATA
# description: |
#   Every sshPublicKey value in the directory must be a well-formed OpenSSH
#   public key. A malformed value is a data error: the user cannot log in
#   with it, and the authorized_keys policy ignores it.
package assay.examples.ldap.directory_keys

import data.assay.examples.ldap.keys

deny contains {"msg": msg} if {
	some entry in data.directory
	some i, value in object.get(entry, "sshPublicKey", [])

	# The common case, "TYPE BLOB [COMMENT]" well-formed, without a call:
	# OPA memoizes each function call, and this runs for every key.
	f := array.concat(split(value, " "), [""])
	[startswith(f[1], object.get(keys.prefixes, f[0], "-")), base64.is_valid(f[1])] != [true, true]
	not well_formed_value(value)
	msg := sprintf("%s: sshPublicKey value %d is not a well-formed public key: %q", [entry.dn, i + 1, abbrev(value)])
}

deny contains {"msg": sprintf("%s: an entry without uid", [entry.dn])} if {
	some entry in data.directory
	not entry.uid
}

well_formed_value(v) if keys.well_formed(keys.parse(v))

abbrev(s) := s if count(s) <= 60

abbrev(s) := concat("", [substring(s, 0, 57), "..."]) if count(s) > 60
