package assay.authorized_keys.lines

import data.assay.authorized_keys.parse

# The bundle's data file; without it no key type or option is allowed.
cfg := c if {
	c := data.authorized_keys_policy
} else := {"allowed_types": [], "allowed_options": []}

allowed_options := {lower(o) | some o in cfg.allowed_options}

deny contains finding if {
	some i, line in input.content.lines
	not parse.ignorable(line)
	not parse.entry(line)
	finding := at(i, sprintf("line %d is neither a comment, a blank line nor a public key", [i + 1]))
}

deny contains finding if {
	some i, line in input.content.lines
	e := parse.entry(line)
	not e.type in cfg.allowed_types
	finding := at(i, sprintf("key type %s is not allowed (allowed: %s)", [e.type, concat(", ", cfg.allowed_types)]))
}

deny contains finding if {
	some i, line in input.content.lines
	e := parse.entry(line)
	not parse.valid_key(e.key)
	finding := at(i, sprintf("line %d: %q is not base64 key material", [i + 1, e.key]))
}

deny contains finding if {
	some i, line in input.content.lines
	e := parse.entry(line)
	some o in e.options
	not parse.option_name(o) in allowed_options
	finding := at(i, sprintf("option %s is not allowed (allowed: %s)", [parse.option_name(o), concat(", ", cfg.allowed_options)]))
}

deny contains finding if {
	input.type == "file"
	regex.match(`^..[2367]|^...[2367]`, input.mode_octal)
	finding := {"msg": sprintf("%s is writable by group or others (mode %s): sshd's StrictModes refuses it and anyone may add a key", [input.path, input.mode]), "path": input.path}
}

deny contains finding if {
	input.content.truncated
	finding := {"msg": sprintf("%s is too large to judge completely: some lines were not read", [input.path]), "path": input.path}
}

warn contains finding if {
	input.type == "symlink"
	finding := {"msg": sprintf("%s is a symbolic link to %s: its target was not inspected", [input.path, input.link]), "path": input.path}
}

at(i, msg) := {"msg": sprintf("%s:%d: %s", [input.path, i + 1, msg]), "path": input.path, "line": i + 1}
