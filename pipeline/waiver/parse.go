package waiver

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/assay-dev/assay/internal/hclguard"
)

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{{Type: "waiver", LabelNames: []string{"id"}}},
}

var waiverSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "policy"}, {Name: "targets"}, {Name: "paths"}, {Name: "fingerprint"},
		{Name: "justification"}, {Name: "approved_by"}, {Name: "expires"}, {Name: "ticket"},
	},
}

// required are the attributes every waiver needs, and what to write.
var required = []struct{ name, what string }{
	{"policy", `the policy it waives, as BUNDLE/POLICY (patterns allowed): policy = "ssh-baseline/sshd-permit-root-login"`},
	{"justification", `why the risk is accepted: justification = "Break-glass host; key-only root, reviewed quarterly"`},
	{"approved_by", `who accepted the risk: approved_by = "secops@example.com"`},
	{"expires", `when to look at it again, an RFC 3339 date or time: expires = "2027-03-31"`},
}

var fingerprintRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Parse reads one waiver file. It goes through hclguard like every HCL
// file assay reads (size, nesting and token limits, guarded functions,
// no file()). A waiver with an error is left out; the others are
// returned, with every diagnostic.
func Parse(src []byte, filename string) ([]*Waiver, *hcl.File, hcl.Diagnostics) {
	file, diags := hclguard.Parse(src, filename, hclguard.Limits{MaxBytes: MaxFileSize})
	if diags.HasErrors() || file == nil || file.Body == nil {
		return nil, file, diags
	}
	content, d := file.Body.Content(fileSchema)
	diags = append(diags, d...)
	ctx := hclguard.NewEvalContext(hclguard.NewBudget(MaxFileSize, "a waiver file"), nil)
	var out []*Waiver
	for _, b := range content.Blocks {
		w, d := decode(b, ctx)
		diags = append(diags, d...)
		if !d.HasErrors() {
			out = append(out, w)
		}
	}
	return out, file, diags
}

func decode(b *hcl.Block, ctx *hcl.EvalContext) (*Waiver, hcl.Diagnostics) {
	w := &Waiver{DeclRange: b.DefRange}
	w.ID = b.Labels[0]
	var diags hcl.Diagnostics
	if msg := checkID(w.ID); msg != "" {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid waiver id", Detail: msg, Subject: b.LabelRanges[0].Ptr()})
	}
	// Unsupported arguments are errors; the others are still checked, so
	// that one run reports every mistake.
	content, d := b.Body.Content(waiverSchema)
	for _, x := range d {
		if x.Summary == "Unsupported argument" || x.Summary == "Unsupported block type" {
			x.Detail += " A waiver takes policy, targets, paths, fingerprint, justification, approved_by, expires and ticket."
		}
	}
	diags = append(diags, d...)
	attrs := content.Attributes
	for _, r := range required {
		if _, ok := attrs[r.name]; !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing " + r.name,
				Detail:   fmt.Sprintf("Waiver %q has no %s. Every waiver says %s.", w.ID, r.name, r.what),
				Subject:  b.DefRange.Ptr(),
			})
		}
	}
	str := func(name string, dst *string, nonEmpty bool) {
		a, ok := attrs[name]
		if !ok {
			return
		}
		v, d := stringValue(a, ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			return
		}
		if nonEmpty && strings.TrimSpace(v) == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Empty " + name,
				Detail:   fmt.Sprintf("Waiver %q has an empty %s: say it, an auditor reads it.", w.ID, name),
				Subject:  a.Expr.Range().Ptr(),
			})
		}
		*dst = v
	}
	str("policy", &w.Policy, true)
	str("justification", &w.Justification, true)
	str("approved_by", &w.ApprovedBy, true)
	str("expires", &w.Expires, true)
	str("ticket", &w.Ticket, false)
	str("fingerprint", &w.Fingerprint, false)
	if a, ok := attrs["policy"]; ok && w.Policy != "" {
		w.PolicyRange = a.Expr.Range()
		diags = append(diags, checkPolicy(w.Policy, a.Expr.Range())...)
	}
	if a, ok := attrs["expires"]; ok && w.Expires != "" {
		w.ExpiresRange = a.Expr.Range()
		t, err := parseExpiry(w.Expires)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid expires", Detail: err.Error(), Subject: a.Expr.Range().Ptr()})
		}
		w.ExpiresAt = t
	}
	if a, ok := attrs["fingerprint"]; ok && w.Fingerprint != "" && !fingerprintRE.MatchString(w.Fingerprint) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid fingerprint",
			Detail:   fmt.Sprintf("%q is not a finding fingerprint: copy the 32 hexadecimal digits of the finding's \"fingerprint\" from the JSON report.", w.Fingerprint),
			Subject:  a.Expr.Range().Ptr(),
		})
	}
	for _, l := range []struct {
		name string
		dst  *[]string
	}{{"targets", &w.Targets}, {"paths", &w.Paths}} {
		a, ok := attrs[l.name]
		if !ok {
			continue
		}
		v, d := listValue(a, ctx)
		diags = append(diags, d...)
		*l.dst = v
	}
	if n := len(w.Targets) + len(w.Paths); n > MaxPatterns {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Too many patterns",
			Detail:   fmt.Sprintf("Waiver %q has %d targets and paths, more than the %d a waiver may hold: use patterns (bastion-*, /home/*/.ssh/authorized_keys), or several waivers.", w.ID, n, MaxPatterns),
			Subject:  b.DefRange.Ptr(),
		})
	}
	for _, l := range []struct {
		name     string
		patterns []string
	}{{"targets", w.Targets}, {"paths", w.Paths}} {
		for _, p := range l.patterns {
			if _, err := path.Match(p, ""); err != nil || p == "" {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid pattern",
					Detail:   fmt.Sprintf("%s pattern %q of waiver %q is not a pattern: write a name, or use * ? and [a-z] as Go's path.Match reads them.", l.name, p, w.ID),
					Subject:  attrs[l.name].Expr.Range().Ptr(),
				})
			}
		}
	}
	return w, diags
}

// checkID returns what is wrong with a waiver id, or "".
func checkID(id string) string {
	switch {
	case id == "":
		return `A waiver needs an id: waiver "legacy-bastion-root-login" { … }.`
	case len(id) > MaxIDLength:
		return fmt.Sprintf("The id is %d bytes long; keep it to %d (it names the waiver in every output and in metrics).", len(id), MaxIDLength)
	case strings.HasPrefix(id, "exception:"):
		return `Ids starting with "exception:" name the exception rules of Rego packages; choose another.`
	case strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return "An id holds no spaces or control characters: use letters, digits and - . _ :"
	}
	return ""
}

// checkPolicy checks that a policy pattern is one path.Match reads; what
// it matches is checked once the bundles are loaded (Set.Check).
func checkPolicy(p string, rng hcl.Range) hcl.Diagnostics {
	if _, err := path.Match(p, ""); err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid policy pattern", Subject: rng.Ptr(),
			Detail: fmt.Sprintf("%q is not a pattern Go's path.Match reads (%v): use * ? and [a-z].", p, err)}}
	}
	return nil
}

// parseExpiry reads an RFC 3339 date (the waiver expires at its first
// instant, UTC) or time.
func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 date (2027-03-31) or time (2027-03-31T18:00:00Z)", s)
}

// ParseTime reads --now and ASSAY_NOW: an RFC 3339 date or time.
func ParseTime(s string) (time.Time, error) { return parseExpiry(s) }

func stringValue(a *hcl.Attribute, ctx *hcl.EvalContext) (string, hcl.Diagnostics) {
	v, diags := a.Expr.Value(ctx)
	if diags.HasErrors() {
		return "", diags
	}
	v, err := convert.Convert(v, cty.String)
	if err != nil || v.IsNull() || !v.IsKnown() {
		return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid " + a.Name, Subject: a.Expr.Range().Ptr(),
			Detail: fmt.Sprintf("%s must be a string.", a.Name)}}
	}
	return v.AsString(), nil
}

func listValue(a *hcl.Attribute, ctx *hcl.EvalContext) ([]string, hcl.Diagnostics) {
	v, diags := a.Expr.Value(ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	bad := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid " + a.Name, Subject: a.Expr.Range().Ptr(),
		Detail: fmt.Sprintf(`%s must be a list of strings: %s = ["bastion-*"].`, a.Name, a.Name)}}
	v, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || v.IsNull() || !v.IsWhollyKnown() {
		return nil, bad
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			return nil, bad
		}
		out = append(out, e.AsString())
	}
	return out, nil
}

// suggest returns the known name closest to got, if it is close enough to
// be a typo, or a policy of that id in some bundle when got names no
// bundle; "" when nothing is close.
func suggest(got string, known []string) string {
	best, bestDist := "", 4
	for _, k := range known {
		if d := levenshtein.Distance(got, k, nil); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return best
	}
	// The policy id alone, or with the wrong bundle.
	id := got
	if i := strings.LastIndexByte(got, '/'); i >= 0 {
		id = got[i+1:]
	}
	for _, k := range known {
		if strings.HasSuffix(k, "/"+id) {
			return k
		}
	}
	return ""
}
