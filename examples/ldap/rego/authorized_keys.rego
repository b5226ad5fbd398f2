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

# passwd_home[name] is the home directory /etc/passwd gives name: a
# complete rule, built once per evaluation and only if some entry lacks a
# homeDirectory (a partial rule would scan every document per lookup).
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

disabled_shells := {s: true | some s in settings.disabled_shells}

# Performance: this policy judges every line of every user's file in one
# evaluation, so its hot path is a few builtins per user and per line:
# - users is built once, as an array (a set would hash each user object);
# - no function is called with a user or an entry on the hot path: OPA
#   memoizes function calls by their arguments, hashing and keeping each;
# - each user carries a map from the blob of each of their well-formed
#   directory keys to its type, so a line holding "TYPE BLOB" first, or
#   after options without spaces, is accepted by one split and a lookup.
# Only the other lines (comments, foreign keys, quoted options, garbage)
# are parsed with keys.parse and compared by id with keys.valid_ids.

# users are the directory entries with a uid and a home directory.
users := [user |
	some i, entry in data.directory
	uid := entry.uid[0]
	h := home(i)
	off := true in [
		object.get(disabled_shells, object.get(entry, ["loginShell", 0], ""), false),
		lower(object.get(entry, ["nsAccountLock", 0], "")) == "true",
		object.get(entry, ["pwdAccountLockedTime", 0], false) != false,
	]
	user := {
		"uid": uid,
		"index": i,
		"disabled": off,
		"file": concat("/", [trim_right(h, "/"), settings.key_file]),
		# blobs[blob] is the type of each well-formed directory key written
		# "TYPE BLOB [COMMENT]"; none for a disabled user, whose every key
		# is flagged.
		"blobs": {f[1]: f[0] |
			not off
			some v in entry.sshPublicKey
			f := split(v, " ")
			startswith(f[1], keys.prefixes[f[0]])
			base64.is_valid(f[1])
		},
	}
]

# home(i) is the home directory of the i-th directory entry. (An index, not
# the entry: a cheap memoization key.)
home(i) := h if {
	h := data.directory[i].homeDirectory[0]
} else := passwd_home[data.directory[i].uid[0]]

# Every line of a user's file that is neither blank, a comment nor one of
# the user's keys: a foreign key, a disabled user's key, or a line that
# holds no key (sshd ignores it, but it is not what configuration
# management writes).
deny contains finding if {
	some user in users
	some n, line in files[user.file].content.lines

	# Padded so that f[1] and f[2] are defined: under "not", an undefined
	# lookup (user.blobs[x] == y) does not make the expression false.
	f := array.concat(split(line, " "), ["", ""])

	# "TYPE BLOB …" with one of the user's keys.
	object.get(user.blobs, f[1], false) != f[0]
	not startswith(line, "#")

	# "OPTIONS TYPE BLOB …" with one: options with balanced quotes and no
	# backslash hold no space, so sshd reads that key.
	[object.get(user.blobs, f[2], false), strings.count(f[0], `"`) % 2, contains(f[0], `\`)] != [f[1], 0, false]
	verdict := judge(user.index, user.uid, user.disabled, line)
	verdict != ""
	finding := {
		"msg": sprintf("%s:%d: %s", [user.file, n + 1, verdict]),
		"path": user.file,
		"line": n + 1,
	}
}

# judge(i, uid, disabled, line) is what is wrong with a line of the file of
# the i-th directory entry: "" when nothing is.
judge(i, uid, disabled, line) := verdict if {
	t := trim_space(line)
	t != ""
	not startswith(t, "#")
	k := keys.parse(line)
	verdict := key_verdict(i, uid, disabled, k)
} else := "not a public key line" if {
	t := trim_space(line)
	t != ""
	not startswith(t, "#")
}

key_verdict(_, uid, true, k) := sprintf("%s is disabled in the directory but this %s key still grants access", [uid, k.type])

key_verdict(i, uid, false, k) := "" if {
	keys.id(k) in keys.valid_ids(data.directory[i])
} else := sprintf("a %s key that is not one of %s's keys in the directory", [k.type, uid])

deny contains finding if {
	settings.report_missing
	some user in users
	not user.disabled
	data.directory[user.index].sshPublicKey[0]
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
	not entry.homeDirectory
	uid := entry.uid[0]
	entry.sshPublicKey[0]
	not passwd_home[uid]
	finding := {"msg": sprintf("%s (%s) has keys but no homeDirectory and no /etc/passwd entry", [uid, entry.dn])}
}
