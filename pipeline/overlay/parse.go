package overlay

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/internal/hclguard"
	"github.com/assay-dev/assay/internal/safefile"
)

// MaxFileSize bounds one overlay file. Overlays set a few params and
// switch a few policies: a megabyte is thousands of lines.
const MaxFileSize = 1 << 20

// MaxNameLength bounds an overlay's name, which metrics carry as a label.
const MaxNameLength = 128

// nameRE keeps overlay names plain: they appear in metrics labels and
// report summaries.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

var (
	fileSchema = &hcl.BodySchema{
		Blocks: []hcl.BlockHeaderSchema{{Type: "overlay", LabelNames: []string{"name"}}},
	}
	overlaySchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "description"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "bundle", LabelNames: []string{"name"}}},
	}
	bundleSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "params"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "policy", LabelNames: []string{"id"}}},
	}
	policySchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "enabled"}, {Name: "severity"}, {Name: "reason"}},
	}
)

// File is one parsed overlay file: one overlay block.
type File struct {
	// Path is the file as given (--overlay); SHA256 the hex digest of its
	// bytes, which reports record.
	Path   string
	SHA256 string
	// Name is the overlay block's label; Description its description.
	Name        string
	Description string
	NameRange   hcl.Range
	Bundles     []*Bundle
	// HCL is the parsed file, for rendering diagnostics with snippets.
	HCL *hcl.File
}

// Bundle is what an overlay changes in one bundle.
type Bundle struct {
	Name      string
	NameRange hcl.Range
	Params    []Param
	Policies  []*Policy
}

// Param is one entry of a bundle block's params: its value is checked
// against the bundle's param when the overlay is applied.
type Param struct {
	Name       string
	Value      cty.Value
	NameRange  hcl.Range
	ValueRange hcl.Range
}

// Policy is what an overlay changes in one policy.
type Policy struct {
	ID      string
	IDRange hcl.Range
	// Enabled is nil when the block does not say; Severity likewise.
	// EnabledRange is where enabled is set: a missing reason points there.
	Enabled      *bool
	EnabledRange hcl.Range
	Severity     *report.Severity
	Reason       string
}

// ReadFile reads and parses an overlay file. It never reads more than
// MaxFileSize+1 bytes, and a FIFO nobody writes to ends the read at once
// instead of hanging. A file that cannot be read is an error diagnostic
// naming it.
func ReadFile(path string) (*File, hcl.Diagnostics) {
	src, err := readBounded(path)
	if err != nil {
		return &File{Path: path}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read overlay",
			Detail:   fmt.Sprintf("The overlay file %s cannot be read: %s.", path, err),
		}}
	}
	return Parse(src, path)
}

// readBounded reads at most MaxFileSize+1 bytes of a file or pipe, and
// says what is wrong with anything else.
func readBounded(path string) ([]byte, error) {
	src, err := safefile.ReadLimited(path, MaxFileSize, safefile.Pipes)
	switch {
	case errors.Is(err, safefile.ErrTooLarge):
		return nil, fmt.Errorf("it is larger than the %s an overlay file may hold; split it into several --overlay files", hclguard.Size(MaxFileSize))
	case errors.Is(err, safefile.ErrDirectory):
		return nil, errors.New("it is a directory; give an overlay file (HCL), or one --overlay per file")
	case errors.Is(err, safefile.ErrNotRegular):
		return nil, fmt.Errorf("it is %w", err)
	}
	return src, err
}

// Parse parses an overlay file's bytes. It goes through hclguard as every
// HCL file assay reads (size, nesting and token limits; no for
// expressions; guarded functions, and no file()). filename names the file
// in diagnostics. The returned File is never nil; with errors it is
// partial.
func Parse(src []byte, filename string) (*File, hcl.Diagnostics) {
	sum := sha256.Sum256(src)
	f := &File{Path: filename, SHA256: hex.EncodeToString(sum[:])}
	hf, diags := hclguard.Parse(src, filename, hclguard.Limits{MaxBytes: MaxFileSize})
	f.HCL = hf
	if diags.HasErrors() || hf == nil || hf.Body == nil {
		return f, diags
	}
	content, d := hf.Body.Content(fileSchema)
	diags = append(diags, d...)
	blocks := content.Blocks.OfType("overlay")
	switch {
	case len(blocks) == 0 && !d.HasErrors():
		return f, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No overlay block",
			Detail:   fmt.Sprintf("%s holds no overlay block. An overlay file is one block: overlay \"NAME\" { bundle \"BUNDLE\" { params = { … } } }.", filename),
			Subject:  hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos}.Ptr(),
		})
	case len(blocks) > 1:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "More than one overlay block",
			Detail:   fmt.Sprintf("An overlay file holds one overlay block, the first is at %s: its SHA-256 names that overlay in reports. Put each overlay in a file of its own.", blocks[0].DefRange),
			Subject:  blocks[1].DefRange.Ptr(),
		})
	}
	if len(blocks) == 0 {
		return f, diags
	}
	ctx := hclguard.NewEvalContext(hclguard.NewBudget(MaxFileSize, "an overlay file"), nil)
	diags = append(diags, f.decode(blocks[0], ctx)...)
	return f, diags
}

func (f *File) decode(block *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	f.Name, f.NameRange = block.Labels[0], block.LabelRanges[0]
	var diags hcl.Diagnostics
	if !nameRE.MatchString(f.Name) || len(f.Name) > MaxNameLength {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid overlay name",
			Detail:   fmt.Sprintf("Overlay name %q must start with a letter or digit, hold only letters, digits, '.', '_' and '-', and be at most %d characters: reports and metrics name the overlay by it.", report.Shorten(f.Name, 64), MaxNameLength),
			Subject:  f.NameRange.Ptr(),
		})
	}
	content, d := block.Body.Content(overlaySchema)
	diags = append(diags, d...)
	if a, ok := content.Attributes["description"]; ok {
		s, d := stringAttr(a, ctx)
		diags = append(diags, d...)
		f.Description = s
	}
	seen := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		name := b.Labels[0]
		if prev, dup := seen[name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate bundle block",
				Detail:   fmt.Sprintf("The overlay already has a bundle %q block at %s; merge the two.", name, prev),
				Subject:  b.LabelRanges[0].Ptr(),
			})
			continue
		}
		seen[name] = b.DefRange
		ob, d := decodeBundle(b, ctx)
		diags = append(diags, d...)
		f.Bundles = append(f.Bundles, ob)
	}
	if len(content.Blocks) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Empty overlay",
			Detail:   fmt.Sprintf("Overlay %q changes nothing: add a bundle \"NAME\" { … } block.", f.Name),
			Subject:  block.DefRange.Ptr(),
		})
	}
	return diags
}

func decodeBundle(block *hcl.Block, ctx *hcl.EvalContext) (*Bundle, hcl.Diagnostics) {
	b := &Bundle{Name: block.Labels[0], NameRange: block.LabelRanges[0]}
	content, diags := block.Body.Content(bundleSchema)
	if a, ok := content.Attributes["params"]; ok {
		params, d := decodeParams(a, ctx)
		diags = append(diags, d...)
		b.Params = params
	}
	seen := map[string]hcl.Range{}
	for _, pb := range content.Blocks {
		id := pb.Labels[0]
		if prev, dup := seen[id]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate policy block",
				Detail:   fmt.Sprintf("Bundle %q already has a policy %q block at %s; merge the two.", b.Name, id, prev),
				Subject:  pb.LabelRanges[0].Ptr(),
			})
			continue
		}
		seen[id] = pb.DefRange
		p, d := decodePolicy(pb, ctx)
		diags = append(diags, d...)
		if !d.HasErrors() {
			b.Policies = append(b.Policies, p)
		}
	}
	return b, diags
}

// decodeParams reads params = { NAME = VALUE, … }, keeping where each
// name and value is written so that a type error points at the value.
func decodeParams(a *hcl.Attribute, ctx *hcl.EvalContext) ([]Param, hcl.Diagnostics) {
	pairs, diags := hcl.ExprMap(a.Expr)
	if diags.HasErrors() {
		for _, d := range diags {
			d.Detail = "params is an object of param names and values: params = { max_auth_tries = 3, ciphers_allowed = [\"aes256-gcm@openssh.com\"] }."
		}
		return nil, diags
	}
	var out []Param
	seen := map[string]hcl.Range{}
	for _, kv := range pairs {
		name := hcl.ExprAsKeyword(kv.Key)
		if name == "" {
			v, d := kv.Key.Value(ctx)
			if d.HasErrors() || v.Type() != cty.String || v.IsNull() {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid param name",
					Detail:   "A param name is a name, such as max_auth_tries, or a quoted string.",
					Subject:  kv.Key.Range().Ptr(),
				})
				continue
			}
			name = v.AsString()
		}
		if prev, dup := seen[name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate param",
				Detail:   fmt.Sprintf("Param %q is already set at %s.", name, prev),
				Subject:  kv.Key.Range().Ptr(),
			})
			continue
		}
		seen[name] = kv.Key.Range()
		v, d := kv.Value.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		out = append(out, Param{Name: name, Value: v, NameRange: kv.Key.Range(), ValueRange: kv.Value.Range()})
	}
	return out, diags
}

func decodePolicy(block *hcl.Block, ctx *hcl.EvalContext) (*Policy, hcl.Diagnostics) {
	p := &Policy{ID: block.Labels[0], IDRange: block.LabelRanges[0]}
	content, diags := block.Body.Content(policySchema)
	attrs := content.Attributes
	if a, ok := attrs["enabled"]; ok {
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if !d.HasErrors() {
			if v.IsNull() || v.Type() != cty.Bool {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid enabled",
					Detail:   fmt.Sprintf("enabled is true or false, without quotes; %s is not.", describe(v)),
					Subject:  a.Expr.Range().Ptr(),
				})
			} else {
				b := v.True()
				p.Enabled, p.EnabledRange = &b, a.Expr.Range()
			}
		}
	}
	if a, ok := attrs["severity"]; ok {
		s, d := stringAttr(a, ctx)
		diags = append(diags, d...)
		if !d.HasErrors() {
			sev, err := report.ParseSeverity(s)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid severity",
					Detail:   fmt.Sprintf("Severity %q is not one of %s.", report.Shorten(s, 64), strings.Join(report.SeverityNames(), ", ")),
					Subject:  a.Expr.Range().Ptr(),
				})
			} else {
				p.Severity = &sev
			}
		}
	}
	if a, ok := attrs["reason"]; ok {
		s, d := stringAttr(a, ctx)
		diags = append(diags, d...)
		p.Reason = strings.TrimSpace(s)
		if !d.HasErrors() && p.Reason == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Empty reason",
				Detail:   fmt.Sprintf("The reason for policy %q is empty: say why, an auditor reads it.", p.ID),
				Subject:  a.Expr.Range().Ptr(),
			})
		}
	}
	switch {
	case diags.HasErrors():
	case p.Enabled != nil && !*p.Enabled && p.Reason == "":
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing reason",
			Detail:   fmt.Sprintf("Disabling policy %q needs a reason, which every report shows beside it: add reason = \"…\" (why this policy does not apply here, and who decided).", p.ID),
			Subject:  p.EnabledRange.Ptr(),
		})
	case p.Enabled == nil && p.Severity == nil:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Policy block changes nothing",
			Detail:   fmt.Sprintf("The block for policy %q sets neither enabled nor severity: add enabled = false with a reason, or severity = \"high\", or remove the block.", p.ID),
			Subject:  block.DefRange.Ptr(),
		})
	}
	return p, diags
}

// stringAttr evaluates a string attribute, refusing other types rather
// than converting them.
func stringAttr(a *hcl.Attribute, ctx *hcl.EvalContext) (string, hcl.Diagnostics) {
	v, diags := a.Expr.Value(ctx)
	if diags.HasErrors() {
		return "", diags
	}
	if v.IsNull() || v.Type() != cty.String || !v.IsKnown() {
		return "", append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + a.Name,
			Detail:   fmt.Sprintf("%s is a quoted string; %s is not.", a.Name, describe(v)),
			Subject:  a.Expr.Range().Ptr(),
		})
	}
	return v.AsString(), diags
}

// describe names a value's type for a message.
func describe(v cty.Value) string {
	switch {
	case v.IsNull():
		return "null"
	case v.Type() == cty.String:
		return fmt.Sprintf("the string %q", report.Shorten(v.AsString(), 40))
	case v.Type() == cty.Number:
		return "a number"
	case v.Type() == cty.Bool:
		return "a bool"
	case v.Type().IsTupleType() || v.Type().IsListType():
		return "a list"
	case v.Type().IsObjectType() || v.Type().IsMapType():
		return "an object"
	}
	return "a " + v.Type().FriendlyName()
}
