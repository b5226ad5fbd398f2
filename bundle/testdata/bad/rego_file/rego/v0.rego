package old

deny[msg] {
	msg := "v0 syntax is refused in a v1 bundle"
}
