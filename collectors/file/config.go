package file

import (
	"fmt"
	"math"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Defaults for the bounds a search may set.
const (
	DefaultMaxContentBytes = 1 << 20 // capture: 1 MiB of lines per file
	DefaultMaxFileSize     = 1 << 30 // files larger than 1 GiB are not read
	DefaultMaxErrors       = 1000    // skips reported individually
	maxLineBytes           = 1 << 20 // longer lines are matched on their first MiB
)

// blockConfig is the collect block's body as gohcl decodes it. Attributes
// that take "a string or a list of strings", or whose values are checked one
// by one, stay expressions so that diagnostics can point at the element.
type blockConfig struct {
	Paths          hcl.Expression `hcl:"paths"`
	Name           hcl.Expression `hcl:"name,optional"`
	Exclude        hcl.Expression `hcl:"exclude,optional"`
	MaxDepth       *int           `hcl:"maxdepth,optional"`
	FollowSymlinks bool           `hcl:"follow_symlinks,optional"`
	OneFilesystem  bool           `hcl:"one_filesystem,optional"`

	Content  hcl.Expression `hcl:"content,optional"`
	Macroal  bool           `hcl:"macroal,optional"`
	MatchAll *bool          `hcl:"matchall,optional"`
	MatchAny *bool          `hcl:"matchany,optional"`
	Mismatch hcl.Expression `hcl:"mismatch,optional"`

	Size  hcl.Expression `hcl:"size,optional"`
	Mode  hcl.Expression `hcl:"mode,optional"`
	Mtime hcl.Expression `hcl:"mtime,optional"`
	UID   []int64        `hcl:"uid,optional"`
	GID   []int64        `hcl:"gid,optional"`
	Owner hcl.Expression `hcl:"owner,optional"`
	Group hcl.Expression `hcl:"group,optional"`

	Hashes   hcl.Expression `hcl:"hashes,optional"`
	MD5      hcl.Expression `hcl:"md5,optional"`
	SHA1     hcl.Expression `hcl:"sha1,optional"`
	SHA256   hcl.Expression `hcl:"sha256,optional"`
	SHA384   hcl.Expression `hcl:"sha384,optional"`
	SHA512   hcl.Expression `hcl:"sha512,optional"`
	SHA3_256 hcl.Expression `hcl:"sha3_256,optional"`
	SHA3_512 hcl.Expression `hcl:"sha3_512,optional"`

	Capture         bool           `hcl:"capture,optional"`
	MaxContentBytes hcl.Expression `hcl:"max_content_bytes,optional"`
	Decompress      bool           `hcl:"decompress,optional"`
	MaxFileSize     hcl.Expression `hcl:"max_file_size,optional"`
	MaxErrors       *int           `hcl:"maxerrors,optional"`
	Report          *string        `hcl:"report,optional"`
}

// blockSchema is blockConfig's schema, and blockFields the attribute of
// each field, reflected once: gohcl.DecodeBody reflects over the struct for
// every block it decodes, which was a tenth of loading an imported MIG
// investigation of thousands of blocks.
var blockSchema, blockFields = reflectBlockConfig()

var exprType = reflect.TypeFor[hcl.Expression]()

func reflectBlockConfig() (*hcl.BodySchema, []string) {
	schema, _ := gohcl.ImpliedBodySchema(blockConfig{})
	t := reflect.TypeFor[blockConfig]()
	fields := make([]string, t.NumField())
	for i := range fields {
		fields[i], _, _ = strings.Cut(t.Field(i).Tag.Get("hcl"), ",")
	}
	return schema, fields
}

// decodeBlock decodes a body into c as gohcl.DecodeBody does: expression
// fields take the attribute's expression (a null one when it is absent),
// other fields its value. Fields are decoded in order, so diagnostics are
// too.
func decodeBlock(body hcl.Body, ctx *hcl.EvalContext, c *blockConfig) hcl.Diagnostics {
	content, diags := body.Content(blockSchema)
	v := reflect.ValueOf(c).Elem()
	for i, name := range blockFields {
		f := v.Field(i)
		attr := content.Attributes[name]
		switch {
		case f.Type() == exprType && attr == nil:
			f.Set(reflect.ValueOf(hcl.StaticExpr(cty.NullVal(cty.DynamicPseudoType), body.MissingItemRange())))
		case attr == nil:
		case f.Type() == exprType:
			f.Set(reflect.ValueOf(attr.Expr))
		default:
			diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, f.Addr().Interface())...)
		}
	}
	return diags
}

// item is one string value with the range it came from.
type item struct {
	s   string
	rng hcl.Range
}

// stringList evaluates an attribute that takes a string or a list of strings
// and returns each value with its own range where the source has one.
func stringList(attr string, expr hcl.Expression, ctx *hcl.EvalContext) ([]item, hcl.Diagnostics) {
	if expr == nil {
		return nil, nil
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() || v.IsNull() {
		return nil, diags
	}
	rng := expr.Range()
	bad := func(detail string) hcl.Diagnostics {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Invalid %s", attr),
			Detail:   detail,
			Subject:  &rng,
		})
	}
	if !v.IsWhollyKnown() {
		return nil, bad(fmt.Sprintf("The value of %q must be known when the bundle is loaded.", attr))
	}
	if v.Type() == cty.String {
		return []item{{v.AsString(), rng}}, diags
	}
	if !v.Type().IsListType() && !v.Type().IsTupleType() && !v.Type().IsSetType() {
		return nil, bad(fmt.Sprintf("%q takes a string or a list of strings, not %s.", attr, v.Type().FriendlyName()))
	}
	var elems []hclsyntax.Expression
	if tup, ok := expr.(*hclsyntax.TupleConsExpr); ok {
		elems = tup.Exprs
	}
	var out []item
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, ev := it.Element()
		erng := rng
		if i < len(elems) {
			erng = elems[i].Range()
		}
		if ev.IsNull() || ev.Type() != cty.String {
			r := erng
			return nil, append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Invalid %s", attr),
				Detail:   fmt.Sprintf("Element %d of %q must be a string.", i, attr),
				Subject:  &r,
			})
		}
		out = append(out, item{ev.AsString(), erng})
	}
	return out, diags
}

func errAt(rng hcl.Range, summary, detail string) *hcl.Diagnostic {
	r := rng
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &r}
}

// mismatchNames are the criteria `mismatch` may invert.
var mismatchNames = []string{"name", "content", "size", "mode", "mtime", "owner", "hashes", "md5", "sha1", "sha2", "sha3",
	"sha256", "sha384", "sha512", "sha3_256", "sha3_512"}

// decode turns a collect block body into a compiled search.
func decode(body hcl.Body, ctx *hcl.EvalContext) (*search, hcl.Diagnostics) {
	var c blockConfig
	diags := decodeBlock(body, ctx, &c)
	if diags.HasErrors() {
		return nil, diags
	}
	s := &search{maxDepth: -1, maxContent: DefaultMaxContentBytes, maxFileSize: DefaultMaxFileSize, maxErrors: DefaultMaxErrors,
		followSymlinks: c.FollowSymlinks, oneFS: c.OneFilesystem, macroal: c.Macroal, capture: c.Capture, decompress: c.Decompress,
		expected: map[string]map[string]bool{}, mismatch: map[string]bool{}}

	// paths
	paths, d := stringList("paths", c.Paths, ctx)
	diags = append(diags, d...)
	if len(paths) == 0 && !d.HasErrors() {
		diags = append(diags, errAt(c.Paths.Range(), "No paths to search", "\"paths\" needs at least one absolute path (\"/home\", \"/etc/ssh/sshd_config\")."))
	}
	for _, p := range paths {
		if !strings.HasPrefix(p.s, "/") {
			diags = append(diags, errAt(p.rng, "Relative search path", fmt.Sprintf("Search path %q must be absolute: paths are inside the target root, so write %q.", p.s, "/"+p.s)))
			continue
		}
		if _, err := path.Match(p.s, ""); err != nil {
			diags = append(diags, errAt(p.rng, "Invalid glob in search path", fmt.Sprintf("%q: %v.", p.s, err)))
			continue
		}
		s.roots = append(s.roots, path.Clean(p.s))
	}

	// regex lists
	compileAll := func(attr string, expr hcl.Expression, allowInvert bool) []*pattern {
		items, d := stringList(attr, expr, ctx)
		diags = append(diags, d...)
		var out []*pattern
		for _, it := range items {
			src := it.s
			if !allowInvert && strings.HasPrefix(src, "!") {
				src = "\\" + src // a literal "!" where inversion means nothing
			}
			p, err := compilePattern(src)
			if err != nil {
				diags = append(diags, errAt(it.rng, fmt.Sprintf("Invalid regular expression in %s", attr), fmt.Sprintf("%q: %v.", it.s, err)))
				continue
			}
			p.src = it.s
			out = append(out, p)
		}
		return out
	}
	s.names = compileAll("name", c.Name, true)
	s.excludes = compileAll("exclude", c.Exclude, false)
	s.contents = compileAll("content", c.Content, true)
	s.modes = compileAll("mode", c.Mode, true)

	if c.MaxDepth != nil {
		if *c.MaxDepth < 0 {
			diags = append(diags, errAt(attrRange(body, "maxdepth"), "Invalid maxdepth", "maxdepth must be 0 or more (0: only the paths themselves)."))
		}
		s.maxDepth = *c.MaxDepth
	}
	if c.MatchAll != nil && c.MatchAny != nil && *c.MatchAll == *c.MatchAny {
		diags = append(diags, errAt(attrRange(body, "matchany"), "Conflicting matchall and matchany", "Set one of matchall = true (every criterion must hold, the default) or matchany = true (one is enough)."))
	}
	s.matchAny = (c.MatchAny != nil && *c.MatchAny) || (c.MatchAll != nil && !*c.MatchAll)

	mm, d := stringList("mismatch", c.Mismatch, ctx)
	diags = append(diags, d...)
	for _, it := range mm {
		if !contains(mismatchNames, it.s) {
			diags = append(diags, errAt(it.rng, "Unknown mismatch criterion", fmt.Sprintf("%q is not a criterion; mismatch takes %s.", it.s, strings.Join(mismatchNames, ", "))))
			continue
		}
		if fam, ok := hashFamily[it.s]; ok {
			for _, a := range fam {
				s.mismatch[a] = true
			}
			continue
		}
		s.mismatch[it.s] = true
	}

	sizes, d := stringList("size", c.Size, ctx)
	diags = append(diags, d...)
	for _, it := range sizes {
		r, err := parseSize(it.s)
		if err != nil {
			diags = append(diags, errAt(it.rng, "Invalid size", err.Error()+" (\">10k\", \"<1M\", \"10k-1M\")."))
			continue
		}
		s.sizes = append(s.sizes, r)
	}
	mtimes, d := stringList("mtime", c.Mtime, ctx)
	diags = append(diags, d...)
	for _, it := range mtimes {
		r, err := parseMtime(it.s)
		if err != nil {
			diags = append(diags, errAt(it.rng, "Invalid mtime", err.Error()+"."))
			continue
		}
		s.mtimes = append(s.mtimes, r)
	}
	for _, v := range c.UID {
		if v < 0 || v > math.MaxUint32 {
			diags = append(diags, errAt(attrRange(body, "uid"), "Invalid uid", fmt.Sprintf("%d is not a user id.", v)))
		}
		s.uids = append(s.uids, uint32(v))
	}
	for _, v := range c.GID {
		if v < 0 || v > math.MaxUint32 {
			diags = append(diags, errAt(attrRange(body, "gid"), "Invalid gid", fmt.Sprintf("%d is not a group id.", v)))
		}
		s.gids = append(s.gids, uint32(v))
	}
	owners, d := stringList("owner", c.Owner, ctx)
	diags = append(diags, d...)
	for _, it := range owners {
		s.owners = append(s.owners, it.s)
	}
	groups, d := stringList("group", c.Group, ctx)
	diags = append(diags, d...)
	for _, it := range groups {
		s.groups = append(s.groups, it.s)
	}

	// hashes to compute, and expected values
	compute := map[string]bool{}
	hs, d := stringList("hashes", c.Hashes, ctx)
	diags = append(diags, d...)
	for _, it := range hs {
		if _, ok := hashAlgos[it.s]; !ok {
			diags = append(diags, errAt(it.rng, "Unknown hash algorithm", fmt.Sprintf("%q is not supported; hashes takes %s.", it.s, strings.Join(hashNames(), ", "))))
			continue
		}
		compute[it.s] = true
	}
	for algo, expr := range map[string]hcl.Expression{"md5": c.MD5, "sha1": c.SHA1, "sha256": c.SHA256, "sha384": c.SHA384,
		"sha512": c.SHA512, "sha3_256": c.SHA3_256, "sha3_512": c.SHA3_512} {
		vals, d := stringList(algo, expr, ctx)
		diags = append(diags, d...)
		for _, it := range vals {
			h := strings.ToLower(strings.TrimSpace(it.s))
			if len(h) != hashAlgos[algo].hexLen || !isHex(h) {
				diags = append(diags, errAt(it.rng, "Invalid "+algo+" digest", fmt.Sprintf("%q is not a %s digest: want %d hexadecimal digits.", it.s, algo, hashAlgos[algo].hexLen)))
				continue
			}
			if s.expected[algo] == nil {
				s.expected[algo] = map[string]bool{}
			}
			s.expected[algo][h] = true
			compute[algo] = true
		}
	}
	for a := range compute {
		s.compute = append(s.compute, a)
	}
	sort.Strings(s.compute)

	if n, rng, ok, d := byteCount("max_content_bytes", c.MaxContentBytes, ctx); ok {
		if n == 0 {
			diags = append(diags, errAt(rng, "Invalid max_content_bytes", "max_content_bytes must be more than 0."))
		}
		s.maxContent = n
	} else {
		diags = append(diags, d...)
	}
	if n, rng, ok, d := byteCount("max_file_size", c.MaxFileSize, ctx); ok {
		if n == 0 {
			diags = append(diags, errAt(rng, "Invalid max_file_size", "max_file_size must be more than 0."))
		}
		s.maxFileSize = n
	} else {
		diags = append(diags, d...)
	}
	if c.MaxErrors != nil {
		if *c.MaxErrors < 0 {
			diags = append(diags, errAt(attrRange(body, "maxerrors"), "Invalid maxerrors", "maxerrors must be 0 or more."))
		}
		s.maxErrors = *c.MaxErrors
	}
	if c.Report != nil {
		switch *c.Report {
		case "matched":
		case "all":
			s.reportAll = true
		default:
			diags = append(diags, errAt(attrRange(body, "report"), "Invalid report", fmt.Sprintf("report is \"matched\" (the default: documents for files that match the search) or \"all\" (every file examined), not %q.", *c.Report)))
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	s.prepare()
	return s, diags
}

// byteCount decodes a size attribute given as a number or a string ("1M").
func byteCount(attr string, expr hcl.Expression, ctx *hcl.EvalContext) (int64, hcl.Range, bool, hcl.Diagnostics) {
	if expr == nil {
		return 0, hcl.Range{}, false, nil
	}
	v, diags := expr.Value(ctx)
	rng := expr.Range()
	if diags.HasErrors() || v.IsNull() {
		return 0, rng, false, diags
	}
	switch v.Type() {
	case cty.Number:
		bf := v.AsBigFloat()
		n, acc := bf.Int64()
		if acc != 0 || n < 0 {
			return 0, rng, false, hcl.Diagnostics{errAt(rng, "Invalid "+attr, fmt.Sprintf("%s must be a whole number of bytes.", attr))}
		}
		return n, rng, true, nil
	case cty.String:
		n, err := parseBytes(v.AsString())
		if err != nil {
			return 0, rng, false, hcl.Diagnostics{errAt(rng, "Invalid "+attr, err.Error()+".")}
		}
		return n, rng, true, nil
	}
	return 0, rng, false, hcl.Diagnostics{errAt(rng, "Invalid "+attr, fmt.Sprintf("%s takes a number of bytes or a string such as \"1M\".", attr))}
}

// attrRange is the range of an attribute's value, for diagnostics on values
// gohcl decoded into plain Go types.
func attrRange(body hcl.Body, name string) hcl.Range {
	attrs, _ := body.JustAttributes()
	if a, ok := attrs[name]; ok {
		return a.Expr.Range()
	}
	return body.MissingItemRange()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var hexRE = regexp.MustCompile(`^[0-9a-f]+$`)

func isHex(s string) bool { return hexRE.MatchString(s) }
