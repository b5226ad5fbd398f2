package datasource

import (
	"crypto/x509"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/assay-dev/assay/bundle"
)

// Body decodes a data block's attributes one by one, keeping each one's
// range so that every diagnostic points at the attribute at fault. Errors
// accumulate in Diags.
type Body struct {
	Diags hcl.Diagnostics
	attrs hcl.Attributes
	ctx   *hcl.EvalContext
	env   *bundle.DataEnv
	// missing is where a missing attribute would go: the block body.
	missing hcl.Range
	// forbidden are the forbidden attributes the block set.
	forbidden []string
}

// Forbidden is an attribute a data block refuses with an explanation, such
// as an inline password: Fix says what to write instead.
type Forbidden struct {
	Name, Summary, Fix string
}

// DecodeBody reads body's attributes, evaluated with env's functions, against the schema's names (required
// ones must be there). A forbidden attribute becomes an error naming its
// fix; its value is never evaluated nor quoted, and the diagnostic has no
// Subject so that renderers do not print the line holding it.
func DecodeBody(body hcl.Body, env *bundle.DataEnv, attrs []hcl.AttributeSchema, forbidden ...Forbidden) *Body {
	var ctx *hcl.EvalContext
	if env != nil {
		ctx = env.EvalContext
	}
	schema := &hcl.BodySchema{Attributes: attrs}
	for _, f := range forbidden {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: f.Name})
	}
	content, diags := body.Content(schema)
	b := &Body{Diags: diags, attrs: hcl.Attributes{}, ctx: ctx, env: env, missing: body.MissingItemRange()}
	if content != nil {
		b.attrs = content.Attributes
	}
	for _, f := range forbidden {
		if a, ok := b.attrs[f.Name]; ok {
			// No Subject: diagnostic writers quote the subject's source
			// line, which holds the secret. The location goes in the text.
			b.Diags = append(b.Diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  f.Summary,
				Detail:   fmt.Sprintf("%s:%d,%d: %s", a.NameRange.Filename, a.NameRange.Start.Line, a.NameRange.Start.Column, f.Fix),
			})
			delete(b.attrs, f.Name)
			b.forbidden = append(b.forbidden, f.Name)
		}
	}
	return b
}

// SetForbidden reports whether the block set the forbidden attribute (it
// was reported already; related checks can stay silent).
func (b *Body) SetForbidden(name string) bool {
	for _, f := range b.forbidden {
		if f == name {
			return true
		}
	}
	return false
}

// Has reports whether the attribute is set.
func (b *Body) Has(name string) bool { _, ok := b.attrs[name]; return ok }

// Range is the attribute's value range, or the block's when it is unset.
func (b *Body) Range(name string) *hcl.Range {
	if a, ok := b.attrs[name]; ok {
		return a.Expr.Range().Ptr()
	}
	r := b.missing
	return &r
}

// Errorf adds an error diagnostic pointing at the attribute.
func (b *Body) Errorf(name, summary, detail string, args ...any) {
	b.Diags = append(b.Diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  b.Range(name),
	})
}

// SecretErrorf is Errorf for an attribute whose value holds a secret: the
// diagnostic has no Subject (renderers would print the source line) and
// starts with the attribute's location instead.
func (b *Body) SecretErrorf(name, summary, detail string, args ...any) {
	r := b.Range(name)
	b.Diags = append(b.Diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf("%s:%d,%d: ", r.Filename, r.Start.Line, r.Start.Column) + fmt.Sprintf(detail, args...),
	})
}

// Decode decodes the attribute into dst (a pointer to a Go value gohcl
// understands) if it is set, and reports whether it was set and valid.
func (b *Body) Decode(name string, dst any) bool {
	a, ok := b.attrs[name]
	if !ok {
		return false
	}
	diags := gohcl.DecodeExpression(a.Expr, b.ctx, dst)
	b.Diags = append(b.Diags, diags...)
	return !diags.HasErrors()
}

// ItemRange is the range of the value of key in the map attribute name
// (headers_env = { Authorization = "VAR" }), or the attribute's when the
// map is not written out item by item.
func (b *Body) ItemRange(name, key string) hcl.Range {
	if a, ok := b.attrs[name]; ok {
		if obj, ok := a.Expr.(*hclsyntax.ObjectConsExpr); ok {
			for _, it := range obj.Items {
				var k string
				if gohcl.DecodeExpression(it.KeyExpr, b.ctx, &k).HasErrors() {
					continue
				}
				if k == key {
					return it.ValueExpr.Range()
				}
			}
		}
	}
	return *b.Range(name)
}

// CAFile decodes name as the path of a PEM file of the bundle (relative to
// it, never outside it: a bundle names no file of the scanning host) and
// returns its certificates, parsed once as the bundle loads; nil when unset
// or invalid (then an error points at the attribute).
func (b *Body) CAFile(name string) *x509.CertPool {
	var p string
	if !b.Decode(name, &p) {
		return nil
	}
	if filepath.IsAbs(p) || b.env == nil {
		b.Errorf(name, "CA file outside the bundle", "%s = %q: name a PEM file of the bundle, by a path relative to it "+
			"(a bundle never reads files of the scanning host). A CA the operator installs on the host goes in the system "+
			"trust store, or in SSL_CERT_FILE.", name, p)
		return nil
	}
	src, display, err := b.env.ReadFile(p)
	if err != nil {
		b.Errorf(name, "Cannot read CA file", "%s = %q: %s.", name, p, err)
		return nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(src) {
		b.Errorf(name, "Invalid CA file", "%s = %q: %s holds no PEM certificate.", name, p, display)
		return nil
	}
	return pool
}

// Duration decodes a Go duration string ("30s", "2m"); it must be positive.
func (b *Body) Duration(name string, dst *time.Duration) {
	var s string
	if !b.Decode(name, &s) {
		return
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		b.Errorf(name, "Invalid duration", "%s = %q: want a positive duration such as \"30s\" or \"2m\".", name, s)
		return
	}
	*dst = d
}

// OneOf decodes a string that must be one of the allowed values.
func (b *Body) OneOf(name string, dst *string, allowed ...string) {
	var s string
	if !b.Decode(name, &s) {
		return
	}
	for _, a := range allowed {
		if s == a {
			*dst = s
			return
		}
	}
	b.Errorf(name, "Invalid value", "%s = %q: want one of %s.", name, s, quoteList(allowed))
}

func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
