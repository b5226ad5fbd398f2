package main

deny[msg] {
	msg := "fine in v0"
}

deny contains msg if {
	msg := 
}
