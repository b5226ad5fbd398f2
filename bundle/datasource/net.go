package datasource

import (
	"crypto/tls"
	"crypto/x509"
	"net/url"
)

// maxSecretFile bounds password and token files: a secret is short, a big
// file is a mistake.
const maxSecretFile = 64 << 10

// Redact returns the URL without user information, query or fragment: what
// may appear in messages, logs and metrics.
func Redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery, c.ForceQuery = "", false
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

// TLSConfig is a TLS client configuration for serverName that trusts the
// CAs of roots (a ca_file of the bundle, Body.CAFile) if given, else the
// system's (where the operator may add CAs: SSL_CERT_FILE, SSL_CERT_DIR).
// TLS 1.2 at least.
func TLSConfig(roots *x509.CertPool, serverName string) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName, RootCAs: roots}
}
