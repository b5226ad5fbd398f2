package bundle

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// Conflicts reports what stops bundles from running together: two bundles
// with one name, a data key defined twice with different values, two
// policies judging with one Rego package.
func Conflicts(bundles []*Bundle) hcl.Diagnostics {
	var diags hcl.Diagnostics
	names := map[string]*Bundle{}
	type dataDef struct {
		b     *Bundle
		value any
	}
	data := map[string]dataDef{}
	type pkgDef struct {
		b *Bundle
		p *Policy
	}
	pkgs := map[string]pkgDef{}
	for _, b := range bundles {
		if b == nil {
			continue
		}
		if prev, dup := names[b.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate bundle name",
				Detail: fmt.Sprintf("The bundles %q and %q are both named %q; findings and metrics are keyed by bundle name, so names must differ.",
					prev.Source, b.Source, b.Name),
				Subject: rangePtr(b.DeclRange),
			})
		} else {
			names[b.Name] = b
		}
		keys := make([]string, 0, len(b.Data))
		for k := range b.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := b.Data[k]
			prev, dup := data[k]
			if !dup {
				data[k] = dataDef{b, v}
				continue
			}
			if !equalData(prev.value, v) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Conflicting data",
					Detail: fmt.Sprintf("data.%s is defined by bundle %s (%s) and, differently, by bundle %s; all bundles share one data document.",
						k, prev.b.Source, prev.b.dataRanges[k], b.Source),
					Subject: rangePtr(b.dataRanges[k]),
				})
			}
		}
		for _, p := range b.Policies {
			if p.Package == nil {
				continue
			}
			key := p.Package.String()
			if prev, dup := pkgs[key]; dup {
				if prev.b == b {
					continue // reported by the bundle itself
				}
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Two policies share a Rego package",
					Detail: fmt.Sprintf("Policy %q of bundle %s and policy %q of bundle %s (%s) both use package %s; each would report the other's findings. Give one of them its own package.",
						p.ID, b.Source, prev.p.ID, prev.b.Source, prev.p.DeclRange, key),
					Subject: rangePtr(p.DeclRange),
				})
				continue
			}
			pkgs[key] = pkgDef{b, p}
		}
	}
	return append(diags, liveConflicts(bundles)...)
}

// checkPackages refuses two policies of the bundle on one Rego package,
// unless every policy of that package names its inputs and no input is
// named by two of them: then no document reaches the package twice, and
// each finding belongs to the one policy that took the document. That is
// what lets a generated bundle (assay mig import) judge thousands of
// searches with one shared module, compiled once.
func (l *loader) checkPackages() {
	type use struct {
		p      *Policy
		inputs map[string]*Policy // input → the policy of the package that takes it
	}
	seen := map[string]*use{}
	for _, p := range l.b.Policies {
		key := p.Package.String()
		u, dup := seen[key]
		if !dup {
			u = &use{p: p, inputs: map[string]*Policy{}}
			for _, in := range p.Inputs {
				u.inputs[in] = p
			}
			seen[key] = u
			continue
		}
		if len(p.Inputs) == 0 || len(u.p.Inputs) == 0 {
			without := p
			if len(p.Inputs) > 0 {
				without = u.p
			}
			l.errorf(rangePtr(p.DeclRange), "Two policies share a Rego package",
				"Policy %q uses package %s, as policy %q (%s) does, and policy %q has no input, so it judges every document of the bundle; each would report the other's findings. Give each policy its own package, or give each policy of the package inputs of its own (input = [collect.KIND.NAME]).",
				p.ID, key, u.p.ID, u.p.DeclRange, without.ID)
			continue
		}
		clash := ""
		var other *Policy
		for _, in := range p.Inputs {
			if q, taken := u.inputs[in]; taken {
				clash, other = in, q
				break
			}
		}
		if other != nil {
			l.errorf(rangePtr(p.DeclRange), "Two policies share a Rego package",
				"Policy %q uses package %s, as policy %q (%s) does, and both judge the documents of collect.%s; each would report the other's findings about them. Give each policy its own package, or inputs no other policy of the package names.",
				p.ID, key, other.ID, other.DeclRange, clash)
			continue
		}
		for _, in := range p.Inputs {
			u.inputs[in] = p
		}
	}
}
