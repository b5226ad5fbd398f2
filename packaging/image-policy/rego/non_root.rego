package assay_image.non_root

import rego.v1

config := [doc | some doc in input.documents; doc.kind == "image.config"][0]

# The user part of USER (USER may be "name", "uid", "name:group", "uid:gid").
user := split(config.user, ":")[0]

# uid of a name in the image's /etc/passwd, as a string.
passwd_uid(name) := uid if {
	some doc in input.documents
	doc.kind == "file"
	doc.path == "/etc/passwd"
	some line in doc.content.lines
	fields := split(line, ":")
	count(fields) >= 3
	fields[0] == name
	uid := fields[2]
}

numeric(s) if regex.match(`^[0-9]+$`, s)

deny contains "the image runs as root: USER is not set" if user == ""

deny contains msg if {
	user != ""
	numeric(user)
	to_number(user) == 0
	msg := sprintf("the image runs as root: USER is %q", [config.user])
}

deny contains msg if {
	user != ""
	not numeric(user)
	passwd_uid(user) == "0"
	msg := sprintf("the image runs as root: USER %q has uid 0 in /etc/passwd", [config.user])
}

deny contains msg if {
	user != ""
	not numeric(user)
	not passwd_uid(user)
	msg := sprintf("USER %q is not in the image's /etc/passwd: the container would not start", [config.user])
}
