# Parsing of authorized_keys lines (sshd(8) AUTHORIZED_KEYS FILE FORMAT):
#   [options] keytype base64-key [comment]
# options are comma-separated, and quoted values may hold spaces and commas.
package assay.authorized_keys.parse

# Every key type OpenSSH knows, allowed or not: how a line with options is
# told from one without.
key_types := {
	"ssh-ed25519", "sk-ssh-ed25519@openssh.com",
	"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	"sk-ecdsa-sha2-nistp256@openssh.com",
	"ssh-rsa", "ssh-dss",
	"ssh-ed25519-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com",
	"ecdsa-sha2-nistp256-cert-v01@openssh.com",
}

ignorable(line) if regex.match(`^\s*(#.*)?$`, line)

# first_field splits off the first whitespace-separated field, where double
# quotes protect spaces.
first_field(s) := [m[1], m[2]] if {
	m := regex.find_all_string_submatch_n(`^\s*((?:[^\s"]|"(?:[^"\\]|\\.)*")+)(?:\s+(.*))?$`, s, 1)[0]
}

# entry parses a key line into {options, type, key, comment}; undefined for a
# line that is not a key.
entry(line) := {"options": [], "type": t, "key": k, "comment": c} if {
	not ignorable(line)
	[t, rest] := first_field(line)
	t in key_types
	[k, c] := first_field(rest)
}

entry(line) := {"options": options(opts), "type": t, "key": k, "comment": c} if {
	not ignorable(line)
	[opts, rest] := first_field(line)
	not opts in key_types
	[t, rest2] := first_field(rest)
	[k, c] := first_field(rest2)
}

options(s) := regex.find_n(`(?:[^,"]|"(?:[^"\\]|\\.)*")+`, s, -1)

option_name(o) := lower(split(o, "=")[0])

valid_key(k) if regex.match(`^AAAA[0-9A-Za-z+/]+={0,3}$`, k)
