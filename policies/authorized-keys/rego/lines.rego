package assay.authorized_keys.lines

import data.assay.authorized_keys.parse

# The bundle's params (param blocks in bundle.hcl), as overlays set them.
cfg := data.assay.params["authorized-keys"]

allowed_options := {lower(o) | some o in cfg.allowed_options}

deny contains finding if {
	some i, line in input.content.lines
	not parse.ignorable(line)
	not parse.entry(line)
	finding := at(i, "the line is neither a comment, a blank line nor a public key")
}

deny contains finding if {
	some i, line in input.content.lines
	e := parse.entry(line)
	not e.type in cfg.allowed_key_types
	finding := at(i, sprintf("key type %s is not allowed (allowed: %s)", [e.type, concat(", ", cfg.allowed_key_types)]))
}

deny contains finding if {
	some i, line in input.content.lines
	e := parse.entry(line)
	not parse.valid_key(e.key)
	finding := at(i, sprintf("%q is not base64 key material", [e.key]))
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
	finding := {"msg": sprintf("the file is writable by group or others (mode %s): sshd's StrictModes refuses it and anyone may add a key", [input.mode]), "path": input.path}
}

deny contains finding if {
	input.content.truncated
	finding := {"msg": "the file is too large to judge completely: some lines were not read", "path": input.path}
}

warn contains finding if {
	input.type == "symlink"
	finding := {"msg": sprintf("the file is a symbolic link to %s: its target was not inspected", [input.link]), "path": input.path}
}

# The location travels in path and line, not in the message, so that a
# finding keeps its fingerprint when lines above it change.
at(i, msg) := {"msg": msg, "path": input.path, "line": i + 1}
