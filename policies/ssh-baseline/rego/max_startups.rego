# sshd-max-startups: MaxStartups is 10:30:60 or stricter.
package assay.ssh.max_startups

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("maxstartups", sprintf("MaxStartups is %s; want 10:30:60 or stricter", [v])) if {
	v := lib.setting("maxstartups")
	parts := [to_number(p) | some p in split(v, ":")]
	not strict(parts)
}

strict(p) if {
	p[0] <= 10
	p[1] <= 30
	p[2] <= 60
}
