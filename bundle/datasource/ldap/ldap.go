package ldap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/datasource"
	"github.com/assay-dev/assay/internal/loopback"
)

// Kind is the data block kind: data "ldap" "NAME".
const Kind = "ldap"

// Defaults of the optional attributes.
const (
	DefaultFilter     = "(objectClass=*)"
	DefaultPageSize   = 500
	DefaultTimeout    = 30 * time.Second
	DefaultMaxEntries = 200000
)

// DataKind is data "ldap": the entries of a paged LDAP search, fetched before each evaluation.
func DataKind() bundle.DataKind {
	return bundle.DataKind{
		Name: Kind,
		Help: "entries of an LDAP directory (paged search): url, bind_dn, password_env | password_file, base_dn, filter, attributes",
		New:  New,
		Live: true, // fetched before each evaluation, never at load
	}
}

// secretAttributes are never returned, whatever the block asks: they hold
// password hashes and keys that no policy needs and no output may show.
var secretAttributes = map[string]bool{
	"userpassword":    true,
	"authpassword":    true,
	"userpkcs12":      true,
	"sambantpassword": true,
	"sambalmpassword": true,
	"krbprincipalkey": true,
	"unicodepwd":      true,
	"pwdhistory":      true,
	"sshprivatekey":   true,
	"clearpassword":   true,
}

// Source is a configured data "ldap" block.
type Source struct {
	url          *url.URL
	display      string // URL without credentials, for messages
	bindDN       string
	passwordEnv  string
	passwordFile string
	baseDN       string
	filter       string
	attributes   []string
	scope        int
	pageSize     uint32
	timeout      time.Duration
	roots        *x509.CertPool // ca_file, read from the bundle when it loads
	startTLS     bool
	maxEntries   int

	urlRange *hcl.Range // diagnostics about reaching the directory point here
	pwRange  hcl.Range  // password_env or password_file
}

// New decodes a data "ldap" block body.
func New(body hcl.Body, env *bundle.DataEnv) (bundle.DataSource, hcl.Diagnostics) {
	b := datasource.DecodeBody(body, env, []hcl.AttributeSchema{
		{Name: "url", Required: true},
		{Name: "bind_dn"},
		{Name: "password_env"},
		{Name: "password_file"},
		{Name: "base_dn", Required: true},
		{Name: "filter"},
		{Name: "attributes"},
		{Name: "scope"},
		{Name: "page_size"},
		{Name: "timeout"},
		{Name: "ca_file"},
		{Name: "start_tls"},
		{Name: "max_entries"},
	}, datasource.Forbidden{
		Name:    "password",
		Summary: "Inline password",
		Fix: "A bundle never holds a password: it is versioned, shared and printed. Set password_env = \"VARIABLE\" " +
			"(an environment variable of the scanning process, which the operator allows with --allow-env VARIABLE) or " +
			"password_file = \"/run/secrets/ldap\" (a file on the scanning host, which the operator allows with " +
			"--allow-secret-file /run/secrets/ldap) instead.",
	})
	s := &Source{
		filter:     DefaultFilter,
		scope:      goldap.ScopeWholeSubtree,
		pageSize:   DefaultPageSize,
		timeout:    DefaultTimeout,
		maxEntries: DefaultMaxEntries,
		urlRange:   b.Range("url"),
	}
	var rawURL string
	if b.Decode("url", &rawURL) {
		s.decodeURL(b, rawURL)
	}
	b.Decode("bind_dn", &s.bindDN)
	if b.Decode("password_env", &s.passwordEnv) {
		s.pwRange = *b.Range("password_env")
	}
	if b.Decode("password_file", &s.passwordFile) {
		s.pwRange = *b.Range("password_file")
		if !filepath.IsAbs(s.passwordFile) {
			b.Errorf("password_file", "Relative password file", "password_file = %q: give the absolute path of the file on the scanning host, as the operator allows it with --allow-secret-file.", s.passwordFile)
		}
	}
	switch {
	case s.passwordEnv != "" && s.passwordFile != "":
		b.Errorf("password_file", "Two passwords", "Set password_env or password_file, not both.")
	case s.bindDN == "" && (s.passwordEnv != "" || s.passwordFile != ""):
		b.Errorf("bind_dn", "Password without bind_dn", "A password is given but no bind_dn to bind as; set bind_dn, or remove the password for an anonymous search.")
	case s.bindDN != "" && s.passwordEnv == "" && s.passwordFile == "" && !b.SetForbidden("password"):
		b.Errorf("bind_dn", "Missing password", "bind_dn is set but no password: set password_env = \"VARIABLE\" or password_file = \"PATH\".")
	}
	if s.bindDN != "" {
		if _, err := goldap.ParseDN(s.bindDN); err != nil {
			b.Errorf("bind_dn", "Invalid DN", "bind_dn %q is not a DN: %s.", s.bindDN, err)
		}
	}
	if b.Decode("base_dn", &s.baseDN) {
		if _, err := goldap.ParseDN(s.baseDN); err != nil {
			b.Errorf("base_dn", "Invalid DN", "base_dn %q is not a DN: %s.", s.baseDN, err)
		}
	}
	if b.Decode("filter", &s.filter) {
		if _, err := goldap.CompileFilter(s.filter); err != nil {
			b.Errorf("filter", "Invalid LDAP filter", "filter %q: %s.", s.filter, strings.TrimPrefix(err.Error(), "LDAP Result Code 201 \"Filter Compile Error\": "))
		}
	}
	if b.Decode("attributes", &s.attributes) {
		for _, a := range s.attributes {
			if secretAttributes[strings.ToLower(a)] {
				b.Errorf("attributes", "Secret attribute", "%q holds passwords or keys: assay never fetches it.", a)
			}
		}
	}
	var scope string
	b.OneOf("scope", &scope, "base", "one", "sub")
	switch scope {
	case "base":
		s.scope = goldap.ScopeBaseObject
	case "one":
		s.scope = goldap.ScopeSingleLevel
	}
	var n int
	if b.Decode("page_size", &n) {
		if n < 1 || n > 100000 {
			b.Errorf("page_size", "Invalid page size", "page_size = %d: want 1 to 100000 entries per page.", n)
		} else {
			s.pageSize = uint32(n)
		}
	}
	if b.Decode("max_entries", &n) {
		if n < 1 {
			b.Errorf("max_entries", "Invalid limit", "max_entries = %d: want a positive number of entries.", n)
		} else {
			s.maxEntries = n
		}
	}
	b.Duration("timeout", &s.timeout)
	b.Decode("start_tls", &s.startTLS)
	if s.url != nil {
		if s.startTLS && s.url.Scheme == "ldaps" {
			b.Errorf("start_tls", "StartTLS on ldaps://", "ldaps:// is TLS from the first byte; start_tls is for ldap:// URLs. Remove one of them.")
		}
		// A password sent over plain LDAP to another host can be read on
		// the way: refuse rather than leak it.
		if s.bindDN != "" && s.url.Scheme == "ldap" && !s.startTLS && !loopback.Host(s.url.Hostname()) {
			b.Errorf("url", "Password in clear text", "Binding to %s over plain ldap:// would send the password unencrypted: use ldaps:// or set start_tls = true.", s.display)
		}
	}
	if s.url != nil && b.Has("ca_file") && s.url.Scheme == "ldap" && !s.startTLS {
		b.Errorf("ca_file", "ca_file without TLS", "ca_file is only used with ldaps:// or start_tls = true.")
	} else {
		s.roots = b.CAFile("ca_file")
	}
	if b.Diags.HasErrors() {
		return nil, b.Diags
	}
	return s, b.Diags
}

func (s *Source) decodeURL(b *datasource.Body, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the input, which might hold credentials: say
		// what is wrong without it.
		b.SecretErrorf("url", "Invalid URL", "url is not a valid URL: want ldap://HOST[:PORT] or ldaps://HOST[:PORT].")
		return
	}
	if u.User != nil {
		b.SecretErrorf("url", "Credentials in URL", "url must not hold a user or password: use bind_dn and password_env or password_file.")
		return
	}
	if u.Scheme != "ldap" && u.Scheme != "ldaps" {
		b.Errorf("url", "Unsupported URL scheme", "url %q: want ldap:// (optionally with start_tls = true) or ldaps://.", datasource.Redact(u))
		return
	}
	if u.Hostname() == "" {
		b.Errorf("url", "Missing host", "url %q names no host.", datasource.Redact(u))
		return
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		b.Errorf("url", "Search in URL", "url %q carries a DN or query; set base_dn, filter and attributes instead.", datasource.Redact(u))
		return
	}
	s.url = u
	s.display = u.Scheme + "://" + u.Host
}

// SecretRefs lists the password's environment variable or file, for the
// pipeline to check against the operator's allowances before fetching.
func (s *Source) SecretRefs() []datasource.SecretRef {
	switch {
	case s.bindDN == "":
		return nil
	case s.passwordEnv != "":
		return []datasource.SecretRef{{Attr: "password_env", Env: s.passwordEnv, Host: s.url.Hostname(), Range: s.pwRange}}
	case s.passwordFile != "":
		return []datasource.SecretRef{{Attr: "password_file", File: s.passwordFile, Host: s.url.Hostname(), Range: s.pwRange}}
	}
	return nil
}

// String names the source in messages and metrics: URL and base DN, no
// secret.
func (s *Source) String() string { return s.display + "/" + s.baseDN }

// Read searches the directory and returns the entries (see the package
// comment). Every failure is marked datasource.Unavailable: the scan fails
// with exit code 3 instead of judging without the directory.
func (s *Source) Read(ctx context.Context) (any, hcl.Diagnostics) {
	entries, err := s.Fetch(ctx)
	var na *datasource.NotAllowedError
	if errors.As(err, &na) {
		return nil, hcl.Diagnostics{datasource.NotAllowedDiag(s.SecretRefs()[0], err)}
	}
	if err != nil {
		return nil, hcl.Diagnostics{datasource.UnavailableDiag(Kind, s.String(), s.urlRange,
			"LDAP directory unavailable", "Searching %s: %s.", s.String(), err)}
	}
	out := make([]any, len(entries))
	for i, e := range entries {
		out[i] = e
	}
	return out, nil
}

// Fetch connects, binds, runs the paged search and converts the entries.
// The password comes from the secrets the context allows
// (datasource.WithSecrets); a password the operator did not allow is a
// *datasource.NotAllowedError.
func (s *Source) Fetch(ctx context.Context) ([]map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var password string
	if s.bindDN != "" {
		secrets := datasource.SecretsFrom(ctx)
		var err error
		if s.passwordEnv != "" {
			password, err = secrets.Env(s.passwordEnv, s.url.Hostname())
		} else {
			password, err = secrets.File(s.passwordFile, s.url.Hostname())
		}
		if err != nil {
			return nil, err
		}
	}
	conn, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// Close the connection when the context ends: every pending request
	// then fails at once instead of waiting for its own timeout.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	conn.SetTimeout(s.timeout)

	if s.bindDN != "" {
		if err := conn.Bind(s.bindDN, password); err != nil {
			return nil, ctxErr(ctx, fmt.Errorf("bind as %s: %w", s.bindDN, describe(err)))
		}
	}
	entries, err := s.search(ctx, conn)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	return entries, nil
}

func (s *Source) dial(ctx context.Context) (*goldap.Conn, error) {
	host := s.url.Hostname()
	port := s.url.Port()
	if port == "" {
		port = "389"
		if s.url.Scheme == "ldaps" {
			port = "636"
		}
	}
	var tlsCfg *tls.Config
	if s.url.Scheme == "ldaps" || s.startTLS {
		tlsCfg = datasource.TLSConfig(s.roots, host)
	}
	d := &net.Dialer{Timeout: s.timeout}
	raw, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("connect: %w", err))
	}
	isTLS := false
	if s.url.Scheme == "ldaps" {
		tc := tls.Client(raw, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, ctxErr(ctx, fmt.Errorf("TLS handshake: %w", err))
		}
		raw, isTLS = tc, true
	}
	conn := goldap.NewConn(raw, isTLS)
	conn.Start()
	if s.startTLS {
		if err := conn.StartTLS(tlsCfg); err != nil {
			conn.Close()
			return nil, ctxErr(ctx, fmt.Errorf("StartTLS: %w", describe(err)))
		}
	}
	return conn, nil
}

// search pages through the results (RFC 2696), stopping at max_entries.
func (s *Source) search(ctx context.Context, conn *goldap.Conn) ([]map[string]any, error) {
	paging := goldap.NewControlPaging(s.pageSize)
	names := map[string]string{} // lower-case → the block's spelling
	for _, a := range s.attributes {
		names[strings.ToLower(a)] = a
	}
	attrs := s.attributes
	if len(attrs) == 0 {
		attrs = nil // all user attributes
	}
	var out []map[string]any
	for page := 1; ; page++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		req := goldap.NewSearchRequest(s.baseDN, s.scope, goldap.NeverDerefAliases, 0,
			int(s.timeout/time.Second), false, s.filter, attrs, []goldap.Control{paging})
		res, err := conn.Search(req)
		if err != nil {
			return nil, fmt.Errorf("search %s (page %d): %w", s.filter, page, describe(err))
		}
		for _, e := range res.Entries {
			if len(out) >= s.maxEntries {
				return nil, fmt.Errorf("more than max_entries = %d entries match %s; narrow the filter or raise max_entries", s.maxEntries, s.filter)
			}
			out = append(out, convert(e, names))
		}
		ctrl, _ := goldap.FindControl(res.Controls, goldap.ControlTypePaging).(*goldap.ControlPaging)
		if ctrl == nil || len(ctrl.Cookie) == 0 {
			break
		}
		paging.SetCookie(ctrl.Cookie)
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["dn"].(string) < out[j]["dn"].(string) })
	return out, nil
}

// convert makes one entry: "dn" and every attribute as a list of strings.
// An attribute with a value that is not UTF-8 (a photo, a certificate) is
// returned base64-encoded under NAME;base64.
func convert(e *goldap.Entry, names map[string]string) map[string]any {
	m := make(map[string]any, len(e.Attributes)+1)
	m["dn"] = e.DN
	for _, a := range e.Attributes {
		lower := strings.ToLower(a.Name)
		if secretAttributes[lower] || lower == "dn" {
			continue
		}
		name := a.Name
		if n, ok := names[lower]; ok {
			name = n
		}
		binary := false
		for _, v := range a.ByteValues {
			if !utf8.Valid(v) {
				binary = true
				break
			}
		}
		vals := make([]any, len(a.ByteValues))
		for i, v := range a.ByteValues {
			if binary {
				vals[i] = base64.StdEncoding.EncodeToString(v)
			} else {
				vals[i] = string(v)
			}
		}
		if binary {
			name += ";base64"
		}
		m[name] = vals
	}
	return m
}

// describe shortens go-ldap's errors ("LDAP Result Code 49 \"Invalid
// Credentials\": ") to what a reader needs. They never carry the password.
func describe(err error) error {
	var le *goldap.Error
	if errors.As(err, &le) {
		switch {
		case le.ResultCode == goldap.LDAPResultInvalidCredentials:
			return errors.New("the directory refused the credentials (invalid credentials)")
		case le.ResultCode == goldap.ErrorNetwork && le.Err != nil:
			return fmt.Errorf("network: %w", le.Err)
		case le.ResultCode < goldap.ErrorNetwork:
			msg := goldap.LDAPResultCodeMap[le.ResultCode]
			if le.Err != nil {
				if d := strings.TrimSpace(le.Err.Error()); d != "" {
					msg += ": " + d
				}
			}
			return fmt.Errorf("LDAP result %d, %s", le.ResultCode, msg)
		}
	}
	return err
}

// ctxErr prefers the context's error: a closed connection after a timeout
// is a timeout.
func ctxErr(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
