# Parsing OpenSSH public keys as they appear in authorized_keys files and in
# the directory's sshPublicKey values, and reading directory entries.
package assay.examples.ldap.keys

# Key types OpenSSH accepts in authorized_keys, each with the base64 text
# every blob of that type starts with: the blob begins with the type name
# after its 4-byte length, and these are the whole base64 groups of those
# bytes (python3: base64.b64encode(struct.pack(">I", len(t)) + t)[:n//3*4]).
prefixes := {
	"ssh-ed25519": "AAAAC3NzaC1lZDI1NTE5",
	"ssh-rsa": "AAAAB3NzaC1y",
	"ssh-dss": "AAAAB3NzaC1k",
	"ecdsa-sha2-nistp256": "AAAAE2VjZHNhLXNoYTItbmlzdHAy",
	"ecdsa-sha2-nistp384": "AAAAE2VjZHNhLXNoYTItbmlzdHAz",
	"ecdsa-sha2-nistp521": "AAAAE2VjZHNhLXNoYTItbmlzdHA1",
	"sk-ssh-ed25519@openssh.com": "AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t",
	"sk-ecdsa-sha2-nistp256@openssh.com": "AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5j",
}

# The "TYPE BLOB" pair of a line, as sshd reads it: either first, or after
# one options field, which ends at the first space outside double quotes
# (so a key quoted inside command="…" is not the line's key). The comment
# after the pair is ignored.
key_pattern := `^\s*(?:(?:[^\s"]|"(?:[^"\\]|\\.)*")+\s+)?((?:ssh|ecdsa|sk)-[A-Za-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,2})(?:\s|$)`

# parse(line) is {"type", "blob"}; undefined for a line holding no key. The
# common case, a line that starts with a known type, is a split; lines with
# options or odd spacing go through the regular expression.
parse(line) := {"type": f[0], "blob": f[1]} if {
	f := split(line, " ")
	prefixes[f[0]]
	f[1] != ""
} else := {"type": m[1], "blob": m[2]} if {
	m := regex.find_all_string_submatch_n(key_pattern, line, 1)[0]
}

# id(key) is what two keys are compared by: type and blob.
id(key) := concat(" ", [key.type, key.blob])

# well_formed(key) holds for a known type whose blob is valid base64 and
# starts with that type, as OpenSSH's wire format does.
well_formed(key) if {
	startswith(key.blob, prefixes[key.type])
	base64.is_valid(key.blob)
}

# valid_ids(entry) are the ids of the entry's well-formed directory keys.
valid_ids(entry) := {id(k) |
	some v in object.get(entry, "sshPublicKey", [])
	k := parse(v)
	well_formed(k)
}
