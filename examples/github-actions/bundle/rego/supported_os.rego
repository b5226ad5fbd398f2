package assay.image_baseline.supported_os

# Oldest supported release of each distribution, as major[.minor].
minimum := {"debian": [12, 0], "ubuntu": [22, 4], "alpine": [3, 19]}

deny contains msg if {
	input.kind == "host"
	min := minimum[input.os.id]
	v := version(input.os.version_id)
	older(v, min)
	msg := sprintf("%s %s is no longer supported (oldest supported: %d.%d)", [input.os.id, input.os.version_id, min[0], min[1]])
}

version(s) := [to_number(p[0]), to_number(p[1])] if {
	p := split(s, ".")
	count(p) > 1
} else := [to_number(s), 0]

older(v, min) if v[0] < min[0]

older(v, min) if {
	v[0] == min[0]
	v[1] < min[1]
}
