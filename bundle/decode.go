package bundle

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/zclconf/go-cty/cty"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/report"
)

// rootSchema lists the blocks a bundle's HCL files may hold.
var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "bundle", LabelNames: []string{"name"}},
		{Type: "collect", LabelNames: []string{"kind", "name"}},
		{Type: "policy", LabelNames: []string{"id"}},
		{Type: "data", LabelNames: []string{"kind", "name"}},
		{Type: "param", LabelNames: []string{"name"}},
	},
}

var bundleSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "version"},
		{Name: "description"},
		{Name: "rego_version"},
	},
}

var policySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "title"},
		{Name: "description"},
		{Name: "severity"},
		{Name: "enforcement"},
		{Name: "controls"},
		{Name: "remediation"},
		{Name: "input"},
		{Name: "mode"},
		{Name: "rego"},
	},
}

// Names: bundle names and policy ids appear in metrics labels, SARIF rule
// ids and file names, so they stay plain.
var (
	bundleNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	policyIDRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]*$`)
)

// bundleBlock is a decoded bundle block.
type bundleBlock struct {
	Name        string
	Version     string
	Description string
	RegoVersion ast.RegoVersion
}

func decodeBundle(block *hcl.Block, ctx *hcl.EvalContext) (bundleBlock, hcl.Diagnostics) {
	bb := bundleBlock{Name: block.Labels[0], RegoVersion: ast.RegoV1}
	content, diags := block.Body.Content(bundleSchema)
	if !bundleNameRE.MatchString(bb.Name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid bundle name",
			Detail:   fmt.Sprintf("Bundle name %q must start with a letter or digit and hold only letters, digits, '.', '_' and '-'.", bb.Name),
			Subject:  &block.LabelRanges[0],
		})
	}
	diags = append(diags, decodeString(content.Attributes["version"], ctx, &bb.Version)...)
	diags = append(diags, decodeString(content.Attributes["description"], ctx, &bb.Description)...)
	if attr, ok := content.Attributes["rego_version"]; ok {
		var v string
		moreDiags := decodeString(attr, ctx, &v)
		diags = append(diags, moreDiags...)
		switch {
		case moreDiags.HasErrors():
		case v == "v1":
		case v == "v0":
			bb.RegoVersion = ast.RegoV0
		default:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid rego_version",
				Detail:   fmt.Sprintf("rego_version %q is not one of \"v1\" (the default) or \"v0\".", v),
				Subject:  attr.Expr.Range().Ptr(),
			})
		}
	}
	return bb, diags
}

// decodeCollect looks up the collect block's kind and lets the kind's
// factory decode the body.
func decodeCollect(block *hcl.Block, types *collector.Registry, ctx *hcl.EvalContext) (*Collect, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	kindName, name := block.Labels[0], block.Labels[1]
	if !hclsyntax.ValidIdentifier(name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid collector name",
			Detail:   fmt.Sprintf("Collector name %q must be an identifier (letters, digits, '_' and '-', not starting with a digit): policies refer to it as collect.%s.NAME.", name, kindName),
			Subject:  &block.LabelRanges[1],
		})
	}
	kind, d := collectorType(types, kindName, block.LabelRanges[0])
	if d != nil {
		return nil, append(diags, d)
	}
	c, moreDiags := kind.New(block.Body, ctx)
	diags = append(diags, moreDiags...)
	if diags.HasErrors() {
		return nil, diags
	}
	return &Collect{Type: kind, Name: name, Collector: c, DeclRange: block.DefRange}, diags
}

// policyBlock is a decoded policy block whose references (inputs, rego)
// the loader still has to resolve against the rest of the bundle.
type policyBlock struct {
	*Policy
	// set records which metadata fields the HCL set, so that METADATA
	// annotations only fill the others.
	set    map[string]bool
	inputs []inputRef
	// regoAttr is the rego attribute; nil when missing (an error).
	regoAttr *hcl.Attribute
}

type inputRef struct {
	id  string // "KIND.NAME"
	rng hcl.Range
}

func decodePolicy(block *hcl.Block, ctx *hcl.EvalContext) (*policyBlock, hcl.Diagnostics) {
	id := block.Labels[0]
	pb := &policyBlock{
		Policy: &Policy{ID: id, Mode: PerDocument, Severity: report.SeverityMedium,
			Enforcement: report.Mandatory, DeclRange: block.DefRange},
		set: map[string]bool{},
	}
	content, diags := block.Body.Content(policySchema)
	if !policyIDRE.MatchString(id) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid policy id",
			Detail:   fmt.Sprintf("Policy id %q must start with a letter or digit and hold only letters, digits and '.', '_', ':', '/', '-'.", id),
			Subject:  &block.LabelRanges[0],
		})
	}
	attrs := content.Attributes
	for name := range attrs {
		pb.set[name] = true
	}
	diags = append(diags, decodeString(attrs["title"], ctx, &pb.Title)...)
	diags = append(diags, decodeString(attrs["description"], ctx, &pb.Description)...)
	diags = append(diags, decodeString(attrs["remediation"], ctx, &pb.Remediation)...)
	if attr, ok := attrs["controls"]; ok {
		diags = append(diags, decodeControls(attr, ctx, &pb.Controls)...)
	}
	if attr, ok := attrs["severity"]; ok {
		var s string
		moreDiags := decodeString(attr, ctx, &s)
		diags = append(diags, moreDiags...)
		if !moreDiags.HasErrors() {
			sev, err := report.ParseSeverity(s)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid severity",
					Detail:   fmt.Sprintf("Severity %q is not one of %s.", s, strings.Join(report.SeverityNames(), ", ")),
					Subject:  attr.Expr.Range().Ptr(),
				})
			}
			pb.Severity = sev
		}
	}
	if attr, ok := attrs["enforcement"]; ok {
		var s string
		moreDiags := decodeString(attr, ctx, &s)
		diags = append(diags, moreDiags...)
		if !moreDiags.HasErrors() {
			e, err := report.ParseEnforcement(s)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid enforcement",
					Detail:   fmt.Sprintf("Enforcement %q is not one of advisory, mandatory (advisory findings never fail CI).", s),
					Subject:  attr.Expr.Range().Ptr(),
				})
			}
			pb.Enforcement = e
		}
	}
	if attr, ok := attrs["mode"]; ok {
		var s string
		moreDiags := decodeString(attr, ctx, &s)
		diags = append(diags, moreDiags...)
		if !moreDiags.HasErrors() {
			switch m := Mode(s); m {
			case PerDocument, Aggregate, Fleet:
				pb.Mode = m
			default:
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid mode",
					Detail: fmt.Sprintf("Mode %q is not one of %q (once per document, the default), %q (once over all documents of a target, as input.documents) or %q (once over the documents of every target of the run, as input.targets).",
						s, PerDocument, Aggregate, Fleet),
					Subject: attr.Expr.Range().Ptr(),
				})
			}
		}
	}
	if attr, ok := attrs["input"]; ok {
		refs, moreDiags := decodeInputs(attr)
		diags = append(diags, moreDiags...)
		pb.inputs = refs
	}
	if attr, ok := attrs["rego"]; ok {
		pb.regoAttr = attr
	} else {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing rego",
			Detail:   fmt.Sprintf("Policy %q has no rego attribute: set rego = file(\"%s.rego\") or write the Rego inline in a heredoc (rego = <<-EOT … EOT).", id, id),
			Subject:  block.DefRange.Ptr(),
		})
	}
	return pb, diags
}

// decodeInputs reads input = [collect.KIND.NAME, …] as references, never
// evaluating them.
func decodeInputs(attr *hcl.Attribute) ([]inputRef, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(attr.Expr)
	var refs []inputRef
	for _, e := range exprs {
		trav, moreDiags := hcl.AbsTraversalForExpr(e)
		ok := !moreDiags.HasErrors() && len(trav) == 3 && trav.RootName() == "collect"
		var kind, name string
		if ok {
			k, ok1 := trav[1].(hcl.TraverseAttr)
			n, ok2 := trav[2].(hcl.TraverseAttr)
			ok = ok1 && ok2
			kind, name = k.Name, n.Name
		}
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid input reference",
				Detail:   "An input is a reference to a collect block, collect.KIND.NAME, such as collect.file.authorized_keys.",
				Subject:  e.Range().Ptr(),
			})
			continue
		}
		refs = append(refs, inputRef{id: kind + "." + name, rng: e.Range()})
	}
	return refs, diags
}

// decodeData looks up the data block's kind and lets the kind decode it.
func decodeData(block *hcl.Block, kinds *DataKinds, env *DataEnv) (DataSource, hcl.Diagnostics) {
	kindName, name := block.Labels[0], block.Labels[1]
	var diags hcl.Diagnostics
	if !hclsyntax.ValidIdentifier(name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid data name",
			Detail:   fmt.Sprintf("Data name %q must be an identifier (letters, digits, '_' and '-', not starting with a digit): policies read it as data.NAME.", name),
			Subject:  &block.LabelRanges[1],
		})
	}
	kind, ok := kinds.Lookup(kindName)
	if !ok {
		known := kinds.Names()
		detail := fmt.Sprintf("There is no data kind %q.", kindName)
		if s := suggest(kindName, known); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		} else {
			detail += " Known kinds: " + strings.Join(known, ", ") + "."
		}
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unknown data kind",
			Detail:   detail,
			Subject:  &block.LabelRanges[0],
		})
	}
	src, moreDiags := kind.New(block.Body, env)
	return src, append(diags, moreDiags...)
}

// decodeControls reads controls: a list of strings, or one string (as
// METADATA custom.controls may be).
func decodeControls(attr *hcl.Attribute, ctx *hcl.EvalContext, dst *[]string) hcl.Diagnostics {
	v, diags := attr.Expr.Value(ctx)
	if diags.HasErrors() {
		return diags
	}
	if v.Type() == cty.String {
		var one string
		diags = gohcl.DecodeExpression(attr.Expr, ctx, &one)
		if !diags.HasErrors() {
			*dst = []string{one}
		}
		return diags
	}
	if diags = gohcl.DecodeExpression(attr.Expr, ctx, dst); diags.HasErrors() {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unsuitable value type",
			Detail:   "Unsuitable value: controls is a string or a list of strings, such as [\"CIS-5.2.12\"].",
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	return nil
}

// decodeString decodes an optional string attribute.
func decodeString(attr *hcl.Attribute, ctx *hcl.EvalContext, dst *string) hcl.Diagnostics {
	if attr == nil {
		return nil
	}
	return decodeExpr(attr.Expr, ctx, dst)
}

// decodeExpr is gohcl.DecodeExpression without its follow-on error: when
// evaluation fails (a file() that is refused), the unknown result is not
// also reported as "value must be known". It evaluates once: function
// results count against the bundle's budget each time they are made.
func decodeExpr(expr hcl.Expression, ctx *hcl.EvalContext, dst any) hcl.Diagnostics {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return diags
	}
	return append(diags, gohcl.DecodeExpression(hcl.StaticExpr(v, expr.Range()), nil, dst)...)
}
