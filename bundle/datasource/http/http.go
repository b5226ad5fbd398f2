// Package http is the data "http" kind: a JSON or YAML document fetched over
// HTTPS (plain HTTP only from a loopback address), exposed to policies as
// data.NAME, with a size cap and a timeout.
//
//	data "http" "inventory" {
//	  url         = "https://cmdb.example.com/api/hosts.json"
//	  headers     = { Accept = "application/json" }
//	  headers_env = { Authorization = "CMDB_AUTHORIZATION" }
//	  timeout     = "10s"
//	}
//
// Credentials never go in the bundle: headers that carry them
// (Authorization, Cookie, *token*, *secret*, *key*, *password*) must come
// from environment variables through headers_env, which the operator must
// allow (--allow-env), and are never logged nor shown. ca_file is a PEM
// file of the bundle. docs/data-sources.md is the reference.
package http

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"mime"
	nethttp "net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/datasource"
	"github.com/assay-dev/assay/internal/loopback"
	"github.com/assay-dev/assay/internal/safefile"
)

// Kind is the data block kind: data "http" "NAME".
const Kind = "http"

// Defaults of the optional attributes.
const (
	DefaultTimeout  = 30 * time.Second
	DefaultMaxBytes = 16 << 20
	maxRedirects    = 5
)

// DataKind is data "http": a JSON or YAML document fetched over HTTPS before each evaluation.
func DataKind() bundle.DataKind {
	return bundle.DataKind{
		Name: Kind,
		Help: "a JSON or YAML document over HTTPS: url, headers, headers_env, timeout, ca_file, max_bytes",
		New:  New,
		Live: true, // fetched before each evaluation, never at load
	}
}

// Source is a configured data "http" block.
type Source struct {
	url        *url.URL
	display    string
	headers    map[string]string
	headersEnv map[string]string
	// envRanges are where headers_env names each variable, by header.
	envRanges map[string]hcl.Range
	timeout   time.Duration
	roots     *x509.CertPool // ca_file, read from the bundle when it loads
	maxBytes  int64
	format    string
	urlRange  *hcl.Range
}

// New decodes a data "http" block body.
func New(body hcl.Body, env *bundle.DataEnv) (bundle.DataSource, hcl.Diagnostics) {
	b := datasource.DecodeBody(body, env, []hcl.AttributeSchema{
		{Name: "url", Required: true},
		{Name: "headers"},
		{Name: "headers_env"},
		{Name: "timeout"},
		{Name: "ca_file"},
		{Name: "max_bytes"},
		{Name: "format"},
	})
	s := &Source{timeout: DefaultTimeout, maxBytes: DefaultMaxBytes, urlRange: b.Range("url")}
	var raw string
	if b.Decode("url", &raw) {
		s.decodeURL(b, raw)
	}
	if b.Decode("headers", &s.headers) {
		for _, name := range slices.Sorted(maps.Keys(s.headers)) {
			if isCredential(name) {
				b.SecretErrorf("headers", "Credential in bundle", "The header %q carries a credential, and a bundle never holds one: "+
					"set headers_env = { %q = \"VARIABLE\" } to take it from an environment variable of the scanning process.", name, name)
			}
		}
	}
	if b.Decode("headers_env", &s.headersEnv) {
		s.envRanges = map[string]hcl.Range{}
		for k := range s.headersEnv {
			s.envRanges[k] = b.ItemRange("headers_env", k)
		}
	}
	b.Duration("timeout", &s.timeout)
	if s.url != nil && b.Has("ca_file") && s.url.Scheme != "https" {
		b.Errorf("ca_file", "ca_file without TLS", "ca_file is only used with https:// URLs.")
	} else {
		s.roots = b.CAFile("ca_file")
	}
	var n int64
	if b.Decode("max_bytes", &n) {
		if n < 1 {
			b.Errorf("max_bytes", "Invalid size", "max_bytes = %d: want a positive number of bytes.", n)
		} else {
			s.maxBytes = n
		}
	}
	b.OneOf("format", &s.format, "json", "yaml")
	if b.Diags.HasErrors() {
		return nil, b.Diags
	}
	return s, b.Diags
}

// isCredential says whether a header name suggests a secret value.
func isCredential(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie":
		return true
	}
	for _, w := range []string{"token", "secret", "key", "password", "auth"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func (s *Source) decodeURL(b *datasource.Body, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		b.SecretErrorf("url", "Invalid URL", "url is not a valid URL: want https://HOST/PATH.")
		return
	}
	if u.User != nil {
		b.SecretErrorf("url", "Credentials in URL", "url must not hold a user or password: use headers_env for credentials.")
		return
	}
	if err := allowed(u); err != nil {
		b.Errorf("url", "URL not allowed", "%s.", err)
		return
	}
	s.url = u
	s.display = datasource.Redact(u)
}

// allowed says whether the client may fetch u: HTTPS anywhere, plain HTTP
// only on loopback (a test server, a local agent).
func allowed(u *url.URL) error {
	switch {
	case u.Host == "":
		return fmt.Errorf("url %q names no host", datasource.Redact(u))
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopback.Host(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("url %q uses plain http:// to a host that is not loopback; use https://", datasource.Redact(u))
	}
	return fmt.Errorf("url %q: want an https:// URL", datasource.Redact(u))
}

// SecretRefs lists the environment variables headers_env names, for the
// pipeline to check against the operator's --allow-env before fetching.
func (s *Source) SecretRefs() []datasource.SecretRef {
	refs := make([]datasource.SecretRef, 0, len(s.headersEnv))
	for _, k := range slices.Sorted(maps.Keys(s.headersEnv)) {
		refs = append(refs, s.secretRef(k))
	}
	return refs
}

func (s *Source) secretRef(header string) datasource.SecretRef {
	return datasource.SecretRef{Attr: "headers_env", Env: s.headersEnv[header], Host: s.url.Hostname(), Range: s.envRanges[header]}
}

// String names the source in messages and metrics: the URL without
// credentials, query or fragment.
func (s *Source) String() string { return s.display }

// Read fetches and parses the document. Every failure is marked
// datasource.Unavailable (exit code 3).
func (s *Source) Read(ctx context.Context) (any, hcl.Diagnostics) {
	return s.fetch(ctx)
}

func (s *Source) unavailable(format string, args ...any) hcl.Diagnostics {
	return hcl.Diagnostics{datasource.UnavailableDiag(Kind, s.String(), s.urlRange,
		"HTTP data unavailable", "Fetching %s: %s.", s.String(), fmt.Sprintf(format, args...))}
}

func (s *Source) fetch(ctx context.Context) (any, hcl.Diagnostics) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodGet, s.url.String(), nil)
	if err != nil {
		return nil, s.unavailable("%s", err)
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9")
	for k, v := range s.headers {
		req.Header.Set(k, v)
	}
	secrets := datasource.SecretsFrom(ctx)
	for _, k := range slices.Sorted(maps.Keys(s.headersEnv)) {
		ref := s.secretRef(k)
		v, err := secrets.Env(ref.Env, ref.Host)
		var na *datasource.NotAllowedError
		if errors.As(err, &na) {
			return nil, hcl.Diagnostics{datasource.NotAllowedDiag(ref, err)}
		}
		if err != nil {
			return nil, s.unavailable("%s (for header %s)", err, k)
		}
		req.Header.Set(k, v)
	}
	client, err := s.client()
	if err != nil {
		return nil, s.unavailable("%s", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, s.unavailable("%s", describe(ctx, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, s.unavailable("the server answered %s", resp.Status)
	}
	if resp.ContentLength > s.maxBytes {
		return nil, s.unavailable("the document is %d bytes, more than max_bytes = %d", resp.ContentLength, s.maxBytes)
	}
	body, err := safefile.ReadUpTo(resp.Body, s.maxBytes)
	if err != nil {
		return nil, s.unavailable("read the body: %s", describe(ctx, err))
	}
	if int64(len(body)) > s.maxBytes {
		return nil, s.unavailable("the document is larger than max_bytes = %d", s.maxBytes)
	}
	v, diags := bundle.ParseData("response."+s.formatOf(resp), body)
	for _, d := range diags {
		if d.Subject != nil {
			d.Subject.Filename = s.display
		}
		d.Extra = datasource.Unavailable{Kind: Kind, Source: s.String()}
	}
	return v, diags
}

// formatOf picks the parser: the block's format, else the Content-Type,
// else the URL's extension, else JSON.
func (s *Source) formatOf(resp *nethttp.Response) string {
	if s.format != "" {
		return s.format
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil {
		switch {
		case strings.Contains(mt, "json"):
			return "json"
		case strings.Contains(mt, "yaml"):
			return "yaml"
		}
	}
	switch path.Ext(s.url.Path) {
	case ".yaml", ".yml":
		return "yaml"
	}
	return "json"
}

func (s *Source) client() (*nethttp.Client, error) {
	tr := nethttp.DefaultTransport.(*nethttp.Transport).Clone()
	if s.url.Scheme == "https" {
		tr.TLSClientConfig = datasource.TLSConfig(s.roots, s.url.Hostname())
	}
	tr.TLSClientConfig = orDefault(tr.TLSClientConfig)
	return &nethttp.Client{
		Transport: tr,
		CheckRedirect: func(req *nethttp.Request, via []*nethttp.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			// Headers may carry credentials: never follow them elsewhere.
			if req.URL.Host != s.url.Host {
				return fmt.Errorf("redirected to another host (%s); set url to where the document lives", req.URL.Host)
			}
			return allowed(req.URL)
		},
	}, nil
}

func orDefault(c *tls.Config) *tls.Config {
	if c == nil {
		return &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return c
}

// describe drops the URL that net/http puts in its errors (already named
// by the diagnostic) and says "timed out" for a deadline.
func describe(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "timed out"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
