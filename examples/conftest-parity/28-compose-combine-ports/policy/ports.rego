package compose.ports

import rego.v1

published contains [port, f.path, name] if {
	some f in input
	some name, svc in f.contents.services
	some p in svc.ports
	parts := split(p, ":")
	port := parts[count(parts) - 2]
}

deny contains msg if {
	some [port, file, name] in published
	some [port2, file2, name2] in published
	port == port2
	[file, name] != [file2, name2]
	file < file2
	msg := sprintf("host port %s is published by %s (%s) and %s (%s)", [port, name, file, name2, file2])
}
