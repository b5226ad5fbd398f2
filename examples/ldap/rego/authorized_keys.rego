# METADATA
# description: |
#   For every enabled directory user, each key in their authorized_keys file
#   must be one of their sshPublicKey values (type and base64 blob compared;
#   options and comments ignored). A disabled user's keys are all flagged.
#   With report_missing, an enabled user who has directory keys but no
#   readable authorized_keys file is flagged too. Files of users who are not
#   in the directory are not judged here.
package assay.examples.ldap.authorized_keys

import data.assay.examples.ldap.keys

defaults := {
	"key_file": ".ssh/authorized_keys",
	"report_missing": false,
	"disabled_shells": ["/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"],
}

default overrides := {}

overrides := data.ldap_keys_settings

settings := object.union(defaults, overrides)

# passwd_home[name] is the home directory /etc/passwd gives name. Both
# maps are complete rules, built once per evaluation: a partial rule would
# scan every document again for each lookup.
passwd_home := {fields[0]: fields[5] |
	some doc in input.documents
	doc.path == "/etc/passwd"
	some line in doc.content.lines
	fields := split(line, ":")
	count(fields) >= 7
}

# files[path] is the document of a collected key file.
files := {doc.path: doc |
	some doc in input.documents
	doc.path != "/etc/passwd"
	doc.content.lines
}

disabled(entry) if entry.loginShell[0] in settings.disabled_shells

disabled(entry) if lower(entry.nsAccountLock[0]) == "true"

disabled(entry) if entry.pwdAccountLockedTime[0]

# users are the directory entries with a uid and a home directory. Hot
# path: plain references rather than helper functions, which cost more per
# call than the work they do.
users contains user if {
	some entry in data.directory
	uid := entry.uid[0]
	h := home(entry, uid)
	user := {
		"uid": uid,
		"dn": entry.dn,
		"disabled": locked(entry),
		"file": concat("/", [trim_right(h, "/"), settings.key_file]),
		"keys": keys.valid_ids(entry),
		"has_keys": count(object.get(entry, "sshPublicKey", [])) > 0,
	}
}

home(entry, _) := entry.homeDirectory[0]

home(entry, uid) := passwd_home[uid] if not entry.homeDirectory

locked(entry) if {
	disabled(entry)
} else := false

# parsed[path] are the non-blank, non-comment lines of every collected key
# file, parsed once: {"n": line number, "ok": true, "id", "type"}, or
# {"n", "ok": false} for a line that holds no key.
parsed := {path: lines |
	some path, doc in files
	lines := [parse_line(i, line) |
		some i, line in doc.content.lines
		t := trim_space(line)
		t != ""
		not startswith(t, "#")
	]
}

parse_line(i, line) := {"n": i + 1, "ok": true, "id": keys.id(k), "type": k.type} if {
	k := keys.parse(line)
} else := {"n": i + 1, "ok": false}

deny contains finding if {
	some user in users
	not user.disabled
	some l in parsed[user.file]
	l.ok
	not l.id in user.keys
	finding := {
		"msg": sprintf("%s:%d: a %s key that is not one of %s's keys in the directory", [user.file, l.n, l.type, user.uid]),
		"path": user.file,
		"line": l.n,
	}
}

deny contains finding if {
	some user in users
	user.disabled
	some l in parsed[user.file]
	l.ok
	finding := {
		"msg": sprintf("%s:%d: %s is disabled in the directory but this %s key still grants access", [user.file, l.n, user.uid, l.type]),
		"path": user.file,
		"line": l.n,
	}
}

# A line that is neither blank, a comment nor a key: sshd ignores it, but it
# is not what configuration management writes.
deny contains finding if {
	some user in users
	some l in parsed[user.file]
	not l.ok
	finding := {
		"msg": sprintf("%s:%d: not a public key line", [user.file, l.n]),
		"path": user.file,
		"line": l.n,
	}
}

deny contains finding if {
	settings.report_missing
	some user in users
	not user.disabled
	user.has_keys
	not files[user.file]
	finding := {
		"msg": sprintf("%s has keys in the directory but %s is missing or unreadable", [user.uid, user.file]),
		"path": user.file,
	}
}

warn contains finding if {
	some user in users
	files[user.file].content.truncated
	finding := {
		"msg": sprintf("%s was truncated by the collector: lines after %d were not checked", [user.file, count(files[user.file].content.lines)]),
		"path": user.file,
	}
}

# A user with keys whose home is nowhere to be found.
deny contains finding if {
	some entry in data.directory
	uid := entry.uid[0]
	count(object.get(entry, "sshPublicKey", [])) > 0
	not home(entry, uid)
	finding := {"msg": sprintf("%s (%s) has keys but no homeDirectory and no /etc/passwd entry", [uid, entry.dn])}
}
