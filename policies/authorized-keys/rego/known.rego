# Keys checked against a directory export: data.authorized_keys_allowed is
# optional and shaped as an LDAP export would be:
#   {"users": [{"uid": "alice", "homeDirectory": "/home/alice",
#               "sshPublicKey": ["ssh-ed25519 AAAA... alice@laptop"]}]}
package assay.authorized_keys.known

import data.assay.authorized_keys.parse

users := u if {
	u := data.authorized_keys_allowed.users
} else := []

# owner is the user whose home directory holds the file (longest match).
owner := u if {
	candidates := [u | some u in users; within(input.path, u.homeDirectory)]
	lens := [count(u.homeDirectory) | some u in candidates]
	some u in candidates
	count(u.homeDirectory) == max(lens)
}

within(path, home) if startswith(path, concat("", [trim_right(home, "/"), "/"]))

allowed_keys(u) := {e.key |
	some k in object.get(u, "sshPublicKey", [])
	e := parse.entry(k)
}

deny contains finding if {
	count(users) > 0
	u := owner
	some i, line in input.content.lines
	e := parse.entry(line)
	not e.key in allowed_keys(u)
	finding := {
		"msg": sprintf("%s key %s... (%s) is not registered for user %s", [e.type, substring(e.key, 0, 24), e.comment, u.uid]),
		"path": input.path,
		"line": i + 1,
	}
}

deny contains finding if {
	count(users) > 0
	input.type == "file"
	not owner
	some line in input.content.lines
	parse.entry(line)
	finding := {"msg": "the file holds keys but no user in the directory has this home", "path": input.path}
}
