package datasource

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
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
// CAs of caFile (PEM) if given, else the system's. TLS 1.2 at least.
func TLSConfig(caFile, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile == "" {
		return cfg, nil
	}
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("ca_file %s holds no PEM certificate", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// Secret reads a secret from the environment variable env or from file
// (exactly one is set). A file's trailing newline is dropped. Errors name the
// variable or file, never the value.
func Secret(env, file string) (string, error) {
	if env != "" {
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return "", fmt.Errorf("the environment variable %s is not set or empty", env)
		}
		return v, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("read the secret file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("read the secret file %s: %w", file, err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("the secret file %s is larger than %d KiB", file, maxSecretFile>>10)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", errors.New("the secret file " + file + " is empty")
	}
	return s, nil
}
