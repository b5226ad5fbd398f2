// Package overlay tailors loaded bundles without changing them: an overlay
// file sets the params a bundle declares, disables policies (with a
// reason) and changes their severity. A signed bundle stays byte for byte
// what was signed, and verified; the report records each overlay by its
// SHA-256, and every change it made (report.Tailoring).
//
// Overlay files are HCL, read through hclguard like every HCL file assay
// reads. docs/tailoring.md describes them.
package overlay

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/report"
)

// Apply checks the overlays against the loaded bundles and returns copies
// of the bundles with the overlays applied in order (a later overlay wins
// where two set the same thing), and the tailoring the report records.
// The bundles passed in are not changed. Every mistake is a diagnostic at
// the overlay's file:line:col: a bundle that is not loaded, an unknown
// policy or param (with "did you mean"), a value of the wrong type.
// Without files it returns the bundles as they are and a nil Tailoring.
func Apply(bundles []*bundle.Bundle, files []*File) ([]*bundle.Bundle, *report.Tailoring, hcl.Diagnostics) {
	if len(files) == 0 {
		return bundles, nil, nil
	}
	a := newApplier(bundles)
	var diags hcl.Diagnostics
	names := map[string]*File{}
	for _, f := range files {
		if prev, dup := names[f.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate overlay name",
				Detail:   fmt.Sprintf("Overlay %q is also the name of %s (%s): reports and metrics tell overlays apart by name; rename one.", f.Name, prev.Path, prev.NameRange),
				Subject:  f.NameRange.Ptr(),
			})
			continue
		}
		names[f.Name] = f
		diags = append(diags, a.apply(f)...)
	}
	if diags.HasErrors() {
		return bundles, nil, diags
	}
	out, t := a.result(files)
	return out, t, diags
}

// applier holds the copies being tailored and what changed, by bundle.
type applier struct {
	order   []string
	bundles map[string]*tailored
}

type tailored struct {
	orig   *bundle.Bundle
	params map[string]*bundle.Param // copies
	// setBy names the overlay that set each param last.
	setBy    map[string]string
	policies map[string]*policyState
}

type policyState struct {
	disabled bool
	reason   string
	overlay  string // of the last change to enabled
	severity report.Severity
	sevBy    string
	sevWhy   string
}

func newApplier(bundles []*bundle.Bundle) *applier {
	a := &applier{bundles: map[string]*tailored{}}
	for _, b := range bundles {
		t := &tailored{orig: b, params: map[string]*bundle.Param{}, setBy: map[string]string{}, policies: map[string]*policyState{}}
		for _, p := range b.Params {
			cp := *p
			t.params[p.Name] = &cp
		}
		for _, p := range b.Policies {
			t.policies[p.ID] = &policyState{severity: p.Severity}
		}
		if _, dup := a.bundles[b.Name]; !dup { // loading refuses two bundles of one name
			a.order = append(a.order, b.Name)
			a.bundles[b.Name] = t
		}
	}
	return a
}

func (a *applier) apply(f *File) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, ob := range f.Bundles {
		t, ok := a.bundles[ob.Name]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Bundle not loaded",
				Detail:   fmt.Sprintf("Overlay %q tailors bundle %q, which this run does not load. %s Load it with -b, or remove the block.", f.Name, ob.Name, didYouMean(ob.Name, a.order, "Loaded bundles")),
				Subject:  ob.NameRange.Ptr(),
			})
			continue
		}
		for _, op := range ob.Params {
			diags = append(diags, t.setParam(f.Name, op)...)
		}
		for _, pol := range ob.Policies {
			diags = append(diags, t.setPolicy(f.Name, pol)...)
		}
	}
	return diags
}

func (t *tailored) setParam(overlay string, op Param) hcl.Diagnostics {
	p, ok := t.params[op.Name]
	if !ok {
		detail := fmt.Sprintf("Bundle %q declares no param %q.", t.orig.Name, op.Name)
		if len(t.params) == 0 {
			detail += " It declares no params at all: it cannot be tuned, only its policies disabled or their severity changed."
		} else {
			detail += " " + didYouMean(op.Name, t.orig.ParamNames(), "Its params")
		}
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unknown param", Detail: detail, Subject: op.NameRange.Ptr()}}
	}
	v, err := p.Check(op.Value)
	if err != nil {
		detail := fmt.Sprintf("Param %q of bundle %q is a %s", p.Name, t.orig.Name, p.TypeName())
		if p.Description != "" {
			detail += fmt.Sprintf(" (%s)", strings.TrimSuffix(p.Description, "."))
		}
		detail += ": " + err.Error() + "."
		if hint := typeHint(p, op); hint != "" {
			detail += " " + hint
		}
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid param value", Detail: detail, Subject: op.ValueRange.Ptr()}}
	}
	p.Value = v
	t.setBy[p.Name] = overlay
	return nil
}

// typeHint suggests the fix for the commonest mistake: a quoted number or
// bool.
func typeHint(p *bundle.Param, op Param) string {
	if op.Value.IsNull() || !op.Value.IsKnown() || op.Value.Type().FriendlyName() != "string" {
		return ""
	}
	s := op.Value.AsString()
	switch p.TypeName() {
	case "number", "bool":
		return fmt.Sprintf("Write %s = %s, without quotes.", p.Name, s)
	case "list(string)", "set(string)":
		return fmt.Sprintf("Write a list: %s = [%q].", p.Name, s)
	}
	return ""
}

func (t *tailored) setPolicy(overlay string, op *Policy) hcl.Diagnostics {
	st, ok := t.policies[op.ID]
	if !ok {
		ids := make([]string, 0, len(t.policies))
		for id := range t.policies {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown policy",
			Detail:   fmt.Sprintf("Bundle %q has no policy %q. %s", t.orig.Name, op.ID, didYouMean(op.ID, ids, "Its policies")),
			Subject:  op.IDRange.Ptr(),
		}}
	}
	if op.Enabled != nil {
		st.disabled = !*op.Enabled
		st.reason = op.Reason
		st.overlay = overlay
	}
	if op.Severity != nil {
		st.severity = *op.Severity
		st.sevBy = overlay
		st.sevWhy = op.Reason
	}
	return nil
}

// result builds the tailored copies and the record of what changed.
func (a *applier) result(files []*File) ([]*bundle.Bundle, *report.Tailoring) {
	t := &report.Tailoring{}
	for _, f := range files {
		t.Overlays = append(t.Overlays, report.Overlay{Name: f.Name, File: f.Path, SHA256: f.SHA256, Description: f.Description})
	}
	var out []*bundle.Bundle
	for _, name := range a.order {
		tb := a.bundles[name]
		cp := *tb.orig
		cp.Params = make([]*bundle.Param, 0, len(tb.orig.Params))
		for _, p := range tb.orig.Params {
			np := tb.params[p.Name]
			cp.Params = append(cp.Params, np)
			if np.Changed() {
				value, _ := bundle.GoValue(np.Value)
				def, _ := bundle.GoValue(np.Default)
				t.Params = append(t.Params, report.ParamSetting{Bundle: name, Name: np.Name, Value: value, Default: def, Overlay: tb.setBy[np.Name]})
			}
		}
		cp.Policies = make([]*bundle.Policy, 0, len(tb.orig.Policies))
		for _, p := range tb.orig.Policies {
			st := tb.policies[p.ID]
			if st.disabled {
				t.Disabled = append(t.Disabled, report.DisabledPolicy{Bundle: name, Policy: p.ID, Title: p.Title, Reason: st.reason, Overlay: st.overlay})
				continue
			}
			if st.severity != p.Severity {
				np := *p
				np.Severity = st.severity
				t.Severities = append(t.Severities, report.SeverityChange{Bundle: name, Policy: p.ID, From: p.Severity, To: st.severity, Reason: st.sevWhy, Overlay: st.sevBy})
				p = &np
			}
			cp.Policies = append(cp.Policies, p)
		}
		out = append(out, &cp)
	}
	sort.SliceStable(t.Disabled, func(i, j int) bool {
		return t.Disabled[i].Bundle+"\x00"+t.Disabled[i].Policy < t.Disabled[j].Bundle+"\x00"+t.Disabled[j].Policy
	})
	sort.SliceStable(t.Severities, func(i, j int) bool {
		return t.Severities[i].Bundle+"\x00"+t.Severities[i].Policy < t.Severities[j].Bundle+"\x00"+t.Severities[j].Policy
	})
	sort.SliceStable(t.Params, func(i, j int) bool {
		return t.Params[i].Bundle+"\x00"+t.Params[i].Name < t.Params[j].Bundle+"\x00"+t.Params[j].Name
	})
	return out, t
}

// didYouMean suggests the closest known name, or lists them.
func didYouMean(got string, known []string, what string) string {
	if s := bundle.Suggest(got, known); s != "" {
		return fmt.Sprintf("Did you mean %q?", s)
	}
	if len(known) == 0 {
		return what + ": none."
	}
	const max = 12
	list := known
	more := ""
	if len(list) > max {
		list, more = list[:max], fmt.Sprintf(", and %d more", len(known)-max)
	}
	return fmt.Sprintf("%s: %s%s.", what, strings.Join(list, ", "), more)
}
