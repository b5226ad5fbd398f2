package sshtest

import (
	"golang.org/x/crypto/ssh/knownhosts"
)

// hashHost hashes a known_hosts host name as ssh-keygen -H does.
func hashHost(name string) string { return knownhosts.HashHostname(name) }
