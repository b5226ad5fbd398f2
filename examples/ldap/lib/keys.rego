# Parsing OpenSSH public keys as they appear in authorized_keys files and in
# the directory's sshPublicKey values, and reading directory entries.
package assay.examples.ldap.keys

# Key types OpenSSH accepts in authorized_keys.
types := {
	"ssh-ed25519",
	"ssh-rsa",
	"ssh-dss",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
}

# The first "TYPE BLOB" pair of a line: the options before it (which may
# hold quoted spaces) and the comment after it are ignored.
key_pattern := `(?:^|\s)((?:ssh|ecdsa|sk)-[A-Za-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,2})(?:\s|$)`

# parse(line) is {"type", "blob"}; undefined for a line holding no key.
parse(line) := {"type": m[1], "blob": m[2]} if {
	m := regex.find_all_string_submatch_n(key_pattern, line, 1)[0]
}

# id(key) is what two keys are compared by: type and blob.
id(key) := concat(" ", [key.type, key.blob])

# well_formed(key) holds for a known type whose blob is valid base64 and
# starts, as OpenSSH's wire format does, with the same type name (after its
# 4-byte length).
well_formed(key) if {
	key.type in types
	base64.is_valid(key.blob)
	substring(base64.decode(key.blob), 4, count(key.type)) == key.type
}

# ignorable(line): blank lines and comments.
ignorable(line) if trim_space(line) == ""

ignorable(line) if startswith(trim_space(line), "#")

# first(entry, attr) is the first value of a directory attribute; the ldap
# data source gives every attribute as a list.
first(entry, attr) := entry[attr][0]

# valid_ids(entry) are the ids of the entry's well-formed directory keys.
valid_ids(entry) := {id(k) |
	some v in object.get(entry, "sshPublicKey", [])
	k := parse(v)
	well_formed(k)
}
