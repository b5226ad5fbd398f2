# Helpers shared by the ssh-baseline policies. Each policy judges one
# sshd_config document (the effective configuration for one connection spec)
# and points its findings at the line that set the value, or at the main
# file when the value is sshd's default.
package assay.ssh.lib

import rego.v1

# params are the bundle's tunables (its param blocks in bundle.hcl), as
# overlays set them: thresholds and allow-lists. Every policy reads its
# limits here, never from a constant.
params := data.assay.params["ssh-baseline"]

# want_range says what a range of numbers wants: "1 to 300", or "0" when
# both ends are one number; unit follows ("1 to 300 seconds").
want_range(lo, hi, unit) := sprintf("%v to %v%s", [lo, hi, unit]) if lo != hi

want_range(lo, hi, unit) := sprintf("%v%s", [lo, unit]) if lo == hi

# setting(k) is the effective value of keyword k.
setting(k) := input.settings[k]

# location(k) is where k was set; line 0 of the main file for a default.
location(k) := {"path": s.path, "line": s.line} if {
	s := input.sources[k]
}

location(k) := {"path": input.path, "line": 0} if {
	not input.sources[k]
}

# conn describes the connection spec the document was computed for.
conn := sprintf(" (connection %s)", [concat(",", [sprintf("%s=%v", [k, v]) | some k, v in input.connection])]) if {
	count(input.connection) > 0
}

conn := "" if {
	count(input.connection) == 0
}

# how says whether a value is a default or where it was set.
how(k) := " (sshd's default)" if {
	not input.sources[k]
}

how(k) := "" if {
	input.sources[k]
}

# judged(k): a document computed for a connection spec is judged only on the
# keywords its Match blocks changed (input.differs); the rest were judged on
# the document without Match applied, so each problem is reported once.
judged(k) if count(input.connection) == 0

judged(k) if k in input.differs

# finding builds a deny/warn object pointing at keyword k.
finding(k, msg) := object.union({"msg": sprintf("%s%s%s", [msg, how(k), conn])}, location(k)) if judged(k)

# list splits an algorithm list setting.
list(k) := split(setting(k), ",")

# num is a numeric setting.
num(k) := to_number(setting(k))
