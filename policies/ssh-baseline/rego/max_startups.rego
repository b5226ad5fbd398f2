# sshd-max-startups: MaxStartups is the max_startups param (10:30:60) or
# stricter: start, rate and full each at most the param's.
package assay.ssh.max_startups

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("maxstartups", sprintf("MaxStartups is %s; want %s or stricter", [v, concat(":", [sprintf("%v", [n]) | some n in limit])])) if {
	v := lib.setting("maxstartups")
	limit := lib.params.max_startups
	parts := [to_number(p) | some p in split(v, ":")]
	not strict(parts, limit)
}

strict(p, limit) if {
	p[0] <= limit[0]
	p[1] <= limit[1]
	p[2] <= limit[2]
}
