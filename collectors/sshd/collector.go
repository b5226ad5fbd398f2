package sshd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"sort"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/target"
)

// KindName is the collect block label and the documents' kind.
const KindName = "sshd_config"

// DefaultPath is the main configuration file sshd reads.
const DefaultPath = "/etc/ssh/sshd_config"

// Type is the sshd_config collector type: collect "sshd_config" blocks.
func Type() collector.Type {
	return collector.Type{
		Name:          KindName,
		DocumentKinds: []string{KindName},
		Help:          "effective OpenSSH server configuration, as `sshd -T [-C spec]` prints it",
		New:           New,
	}
}

// blockConfig is the body of a collect "sshd_config" block.
type blockConfig struct {
	Path    *string      `hcl:"path"`
	Matches []matchBlock `hcl:"match,block"`
	Remain  hcl.Body     `hcl:",remain"`
}

type matchBlock struct {
	User    *string `hcl:"user"`
	Host    *string `hcl:"host"`
	Addr    *string `hcl:"addr"`
	LAddr   *string `hcl:"laddr"`
	LPort   *int    `hcl:"lport"`
	RDomain *string `hcl:"rdomain"`
	Range   hcl.Range
}

// Collector computes effective sshd configurations.
type Collector struct {
	// Path is the main file, absolute inside the target.
	Path string
	// Specs are the connection specs; a document without Match applied is
	// always produced too.
	Specs []ConnInfo
}

// New is the collector.Factory of the sshd_config kind.
func New(body hcl.Body, ctx *hcl.EvalContext) (collector.Collector, hcl.Diagnostics) {
	var bc blockConfig
	diags := gohcl.DecodeBody(body, ctx, &bc)
	if diags.HasErrors() {
		return nil, diags
	}
	if attrs, d := bc.Remain.JustAttributes(); !d.HasErrors() {
		for _, a := range attrs {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported argument", Detail: fmt.Sprintf("An argument named %q is not expected here; sshd_config takes path and match blocks.", a.Name), Subject: a.NameRange.Ptr()})
		}
	}
	c := &Collector{Path: DefaultPath}
	if bc.Path != nil {
		if *bc.Path == "" || (*bc.Path)[0] != '/' {
			r := body.MissingItemRange()
			if a, ok := findAttr(body, "path"); ok {
				r = a.Expr.Range()
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid sshd_config path", Detail: "path must be absolute inside the target, such as \"/etc/ssh/sshd_config\".", Subject: &r})
		}
		c.Path = *bc.Path
	}
	for _, m := range bc.Matches {
		ci := ConnInfo{User: deref(m.User), Host: deref(m.Host), Addr: deref(m.Addr), LAddr: deref(m.LAddr), RDomain: deref(m.RDomain)}
		if m.LPort != nil {
			if *m.LPort < 0 || *m.LPort > 65535 {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid lport", Detail: "lport must be a port number, 0-65535.", Subject: m.Range.Ptr()})
			}
			ci.LPort = *m.LPort
		}
		c.Specs = append(c.Specs, ci)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return c, diags
}

func findAttr(body hcl.Body, name string) (*hcl.Attribute, bool) {
	content, _, _ := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: name}}})
	a, ok := content.Attributes[name]
	return a, ok
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Collect emits one document without Match applied and one per spec.
func (c *Collector) Collect(ctx context.Context, env collector.Env, emit collector.Emitter) error {
	vi := detectVersion(env.Target)
	if _, err := fs.Stat(env.Target, target.Rel(c.Path)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", c.Path, collector.ErrNotApplicable)
		}
		return fmt.Errorf("collect sshd_config %s: %w", c.Path, err)
	}
	specs := []*ConnInfo{nil}
	cache := map[string][]string{}
	for i := range c.Specs {
		specs = append(specs, &c.Specs[i])
	}
	var base document.Document
	for _, ci := range specs {
		if err := ctx.Err(); err != nil {
			return err
		}
		doc, err := evaluateDoc(env.Target, c.Path, ci, vi, cache, vi.opts)
		if err != nil {
			return fmt.Errorf("collect sshd_config %s: %w", c.Path, err)
		}
		doc[document.FieldCollector] = env.Name
		if ci == nil {
			base = doc
			doc["differs"] = []any{}
		} else {
			doc["differs"] = differs(base, doc)
		}
		emit.Emit(doc)
	}
	return nil
}

// differs lists the keywords whose effective value for a connection spec is
// not the value without Match applied: what Match blocks changed for that
// connection. Policies judge a connection document only on those, so a
// setting wrong for everyone is reported once, not once per spec.
func differs(base, doc document.Document) []any {
	bs, _ := base["settings"].(map[string]any)
	ds, _ := doc["settings"].(map[string]any)
	var keys []string
	for k, v := range ds {
		if bv, ok := bs[k]; !ok || !reflect.DeepEqual(bv, v) {
			keys = append(keys, k)
		}
	}
	for k := range bs {
		if _, ok := ds[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

// evaluateWith computes one document with a given profile and command
// line, without version detection (the oracle tests).
func evaluateWith(fsys fs.FS, path string, ci *ConnInfo, prof *profile, opts evalOptions) (document.Document, error) {
	return evaluateDoc(fsys, path, ci, versionInfo{Profile: prof, Exact: true}, map[string][]string{}, opts)
}

// evaluateDoc computes one document: the effective configuration of the
// main file at path (absolute inside fsys) for ci (nil: no connection
// spec), with a file cache shared between specs.
func evaluateDoc(fsys fs.FS, path string, ci *ConnInfo, vi versionInfo, cache map[string][]string, opts evalOptions) (document.Document, error) {
	cfg := newConfig(fsys, path, vi.Profile, opts)
	cfg.cache = cache
	res, err := cfg.evaluate(ci)
	if err != nil {
		return nil, err
	}
	doc := document.New(KindName, "")
	doc[document.FieldPath] = path
	files := make([]any, len(cfg.fileOrder))
	for i, f := range cfg.fileOrder {
		files[i] = f
	}
	doc["files"] = files
	conn := map[string]any{}
	if ci != nil {
		for k, v := range map[string]string{"user": ci.User, "host": ci.Host, "addr": ci.Addr, "laddr": ci.LAddr, "rdomain": ci.RDomain} {
			if v != "" {
				conn[k] = v
			}
		}
		if ci.LPort != 0 {
			conn["lport"] = strconv.Itoa(ci.LPort)
		}
	}
	doc["connection"] = conn
	settings := map[string]any{}
	for k, v := range res.settings {
		if l, ok := v.([]string); ok {
			a := make([]any, len(l))
			for i, s := range l {
				a[i] = s
			}
			settings[k] = a
		} else {
			settings[k] = v
		}
	}
	doc["settings"] = settings
	sources := map[string]any{}
	for k, s := range res.sources {
		sources[k] = map[string]any{"path": s.Path, "line": s.Line}
	}
	doc["sources"] = sources
	errs := make([]any, 0, len(cfg.errs))
	valid := true
	for _, e := range cfg.errs {
		errs = append(errs, map[string]any{"path": e.Path, "line": e.Line, "message": e.Message, "fatal": e.Fatal, "text": e.Text})
		if e.Fatal {
			valid = false
		}
	}
	doc["errors"] = errs
	doc["valid"] = valid
	keys := make([]any, 0, len(cfg.hostKeys))
	for _, k := range cfg.hostKeys {
		m := map[string]any{"path": k.Path, "public": k.Public, "loaded": k.Loaded, "line": k.src.Line, "file": k.src.Path}
		if k.Type != "" {
			m["type"], m["bits"] = k.Type, k.Bits
		}
		if k.Error != "" {
			m["error"] = k.Error
		}
		keys = append(keys, m)
	}
	doc["host_keys"] = keys
	vi.annotate(doc)
	return doc, nil
}
