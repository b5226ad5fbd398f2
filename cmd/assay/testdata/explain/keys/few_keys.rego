package keys.few

max_keys := 1

warn contains msg if {
	keys := [l | some l in input.content.lines; not startswith(l, "#")]
	count(keys) > max_keys
	not input.link
	msg := sprintf("%d keys; at most %d are expected", [count(keys), max_keys])
}
