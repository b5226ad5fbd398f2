package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/assay-dev/assay/core/report"
)

// Param is a tunable a bundle declares in a param block: a threshold or an
// allow-list its policies read from data.assay.params["BUNDLE"].NAME.
// Overlays (pipeline/overlay) set Value; the bundle's files never change,
// so a signed bundle stays verified.
type Param struct {
	Name        string
	Type        cty.Type
	Default     cty.Value
	Description string
	// Value is the value in force: Default, unless an overlay set it.
	Value     cty.Value
	DeclRange hcl.Range
}

// TypeName is the param's type as written in HCL: number, list(string).
func (p *Param) TypeName() string { return typeexpr.TypeString(p.Type) }

// Changed reports whether the value in force is not the default.
func (p *Param) Changed() bool { return !p.Value.RawEquals(p.Default) }

// Check returns v as a value of the param's type, or an error saying what
// is wrong with it. Types are strict: "3" is not a number and 3 is not a
// string, though HCL would convert either way; a list takes a tuple whose
// elements each have the element type, and a tuple type a tuple of its
// length.
func (p *Param) Check(v cty.Value) (cty.Value, error) {
	if err := conforms(v, p.Type, ""); err != nil {
		return cty.NilVal, err
	}
	out, err := convert.Convert(v, p.Type)
	if err != nil {
		return cty.NilVal, fmt.Errorf("not a %s: %s", p.TypeName(), err)
	}
	return out, nil
}

// conforms checks v against ty without converting: the type of every
// element must be the declared one.
func conforms(v cty.Value, ty cty.Type, at string) error {
	where := func() string {
		if at == "" {
			return ""
		}
		return at + ": "
	}
	if v.IsNull() {
		return fmt.Errorf("%snull is not a %s", where(), typeexpr.TypeString(ty))
	}
	if !v.IsWhollyKnown() {
		return fmt.Errorf("%sthe value is not known", where())
	}
	vt := v.Type()
	switch {
	case ty.IsPrimitiveType():
		if vt != ty {
			return fmt.Errorf("%s%s is a %s, not a %s", where(), describeValue(v), friendly(vt), typeexpr.TypeString(ty))
		}
		return nil
	case ty.IsListType() || ty.IsSetType():
		if !vt.IsTupleType() && !vt.IsListType() && !vt.IsSetType() {
			return fmt.Errorf("%s%s is a %s, not a %s: write a list, [\"a\", \"b\"]", where(), describeValue(v), friendly(vt), typeexpr.TypeString(ty))
		}
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			if err := conforms(e, ty.ElementType(), fmt.Sprintf("%selement %d", prefix(at), i+1)); err != nil {
				return err
			}
		}
		return nil
	case ty.IsMapType():
		if !vt.IsObjectType() && !vt.IsMapType() {
			return fmt.Errorf("%s%s is a %s, not a %s: write an object, { key = value }", where(), describeValue(v), friendly(vt), typeexpr.TypeString(ty))
		}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if err := conforms(e, ty.ElementType(), fmt.Sprintf("%skey %q", prefix(at), k.AsString())); err != nil {
				return err
			}
		}
		return nil
	case ty.IsObjectType():
		if !vt.IsObjectType() && !vt.IsMapType() {
			return fmt.Errorf("%s%s is a %s, not a %s", where(), describeValue(v), friendly(vt), typeexpr.TypeString(ty))
		}
		m := v.AsValueMap()
		names := make([]string, 0, len(m)+len(ty.AttributeTypes()))
		for name := range ty.AttributeTypes() {
			names = append(names, name)
		}
		for name := range m {
			if !ty.HasAttribute(name) {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			e, ok := m[name]
			switch {
			case !ty.HasAttribute(name):
				return fmt.Errorf("%sattribute %q is not one of the type's", where(), name)
			case !ok:
				return fmt.Errorf("%sattribute %q is missing", where(), name)
			}
			if err := conforms(e, ty.AttributeType(name), fmt.Sprintf("%sattribute %q", prefix(at), name)); err != nil {
				return err
			}
		}
		return nil
	case ty.IsTupleType():
		// Only a tuple, never a list (split() makes one): cty converts no
		// list to a tuple, so Check would refuse it after all, with
		// cty's "tuple required".
		if !vt.IsTupleType() {
			return fmt.Errorf("%s%s is a %s, not a %s: write a list of %d, [a, b, …]", where(), describeValue(v), friendly(vt), typeexpr.TypeString(ty), ty.Length())
		}
		if n := v.LengthInt(); n != ty.Length() {
			return fmt.Errorf("%s%s has %d elements; a %s has %d", where(), ValueString(v), n, typeexpr.TypeString(ty), ty.Length())
		}
		for i, et := range ty.TupleElementTypes() {
			if err := conforms(v.Index(cty.NumberIntVal(int64(i))), et, fmt.Sprintf("%selement %d", prefix(at), i+1)); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%sthe type %s is not supported", where(), typeexpr.TypeString(ty))
}

func prefix(at string) string {
	if at == "" {
		return ""
	}
	return at + ", "
}

// friendly names the type of a value as a user wrote it.
func friendly(t cty.Type) string {
	switch {
	case t == cty.String:
		return "string"
	case t == cty.Number:
		return "number"
	case t == cty.Bool:
		return "bool"
	case t.IsTupleType() || t.IsListType() || t.IsSetType():
		return "list"
	case t.IsObjectType() || t.IsMapType():
		return "object"
	}
	return t.FriendlyName()
}

// describeValue quotes a short value for a message: "3", 3, true, a list.
func describeValue(v cty.Value) string {
	switch v.Type() {
	case cty.String:
		return fmt.Sprintf("%q", report.Shorten(v.AsString(), 40+len("…")))
	case cty.Number:
		return v.AsBigFloat().Text('g', -1)
	case cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	}
	return "the value"
}

// ValueString renders a param value for people and reports, as HCL would
// write it: 3, "10:30:60", ["a", "b"]. Long values are cut.
func ValueString(v cty.Value) string {
	if v == cty.NilVal || v.IsNull() {
		return "null"
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return "?"
	}
	return report.Shorten(strings.ReplaceAll(string(b), `","`, `", "`), 200+len("…"))
}

// GoValue turns a param value into the plain Go value the Rego data
// document holds: json.Number for numbers, []any, map[string]any.
func GoValue(v cty.Value) (any, error) {
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// ParamValues returns the values in force of the bundle's params, by name,
// as the Rego data document holds them (data.assay.params["BUNDLE"]).
func (b *Bundle) ParamValues() (map[string]any, error) {
	out := make(map[string]any, len(b.Params))
	for _, p := range b.Params {
		g, err := GoValue(p.Value)
		if err != nil {
			return nil, fmt.Errorf("param %q: %w", p.Name, err)
		}
		out[p.Name] = g
	}
	return out, nil
}

// Param returns the bundle's param of that name, or nil.
func (b *Bundle) Param(name string) *Param {
	for _, p := range b.Params {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// ParamNames lists the bundle's params, sorted.
func (b *Bundle) ParamNames() []string {
	names := make([]string, 0, len(b.Params))
	for _, p := range b.Params {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return names
}

// Suggest returns the name of known closest to got when it is close
// enough to be a typo, or "": the "did you mean" of diagnostics.
func Suggest(got string, known []string) string { return suggest(got, known) }

var paramSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type", Required: true},
		{Name: "default", Required: true},
		{Name: "description"},
	},
}

// decodeParam decodes a param block. The type is a type expression
// (number, string, bool, list(string), map(number), object({…}),
// tuple([number, number])), never evaluated; the default must have that
// type exactly.
func decodeParam(block *hcl.Block, ctx *hcl.EvalContext) (*Param, hcl.Diagnostics) {
	p := &Param{Name: block.Labels[0], DeclRange: block.DefRange}
	content, diags := block.Body.Content(paramSchema)
	if !hclsyntax.ValidIdentifier(p.Name) || strings.Contains(p.Name, "-") {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid param name",
			Detail:   fmt.Sprintf("Param name %q must be an identifier of letters, digits and '_', not starting with a digit: policies read it as data.assay.params[\"BUNDLE\"].NAME.", p.Name),
			Subject:  &block.LabelRanges[0],
		})
	}
	diags = append(diags, decodeString(content.Attributes["description"], ctx, &p.Description)...)
	typeAttr, ok := content.Attributes["type"]
	if !ok {
		return nil, diags
	}
	ty, tdiags := typeexpr.Type(typeAttr.Expr)
	if tdiags.HasErrors() {
		for _, d := range tdiags {
			if d.Detail != "" && !strings.HasSuffix(d.Detail, ".") {
				d.Detail += "."
			}
			d.Detail += " A param's type is number, string, bool, or list(T), set(T), map(T), object({…}), tuple([T, …]) of them."
		}
		return nil, append(diags, tdiags...)
	}
	p.Type = ty
	defAttr, ok := content.Attributes["default"]
	if !ok {
		return nil, diags
	}
	v, vdiags := defAttr.Expr.Value(ctx)
	diags = append(diags, vdiags...)
	if vdiags.HasErrors() {
		return nil, diags
	}
	checked, err := p.Check(v)
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid param default",
			Detail:   fmt.Sprintf("The default of param %q must be a %s: %s.", p.Name, p.TypeName(), err),
			Subject:  defAttr.Expr.Range().Ptr(),
		})
	}
	p.Default, p.Value = checked, checked
	return p, diags
}

// paramBlocks decodes the bundle's param blocks; names are unique.
func (l *loader) paramBlocks(blocks hcl.Blocks) {
	seen := map[string]hcl.Range{}
	for _, block := range blocks {
		name := block.Labels[0]
		if prev, dup := seen[name]; dup {
			l.errorf(&block.LabelRanges[0], "Duplicate param", "A param %q is already declared at %s.", name, prev)
			continue
		}
		seen[name] = block.DefRange
		p, diags := decodeParam(block, l.evalCtx)
		l.diags = append(l.diags, diags...)
		if p != nil && !diags.HasErrors() {
			l.b.Params = append(l.b.Params, p)
		}
	}
}
