// Package loopback holds the one rule every network client of assay
// applies before it speaks plain HTTP or plain LDAP: only to this machine.
package loopback

import (
	"net"
	"strings"
)

// Host reports whether host (a URL's host name, without port) is a
// loopback address or "localhost", in any case.
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
