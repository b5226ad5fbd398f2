package engine

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/bundle"
)

// Compile errors say what OPA says, and then what OPA does not: which name
// was probably meant, and what "var is unsafe" means.

// unsafeVar matches OPA's message for a variable that is never bound.
var unsafeVar = regexp.MustCompile(`^var ([A-Za-z_][A-Za-z0-9_]*) is unsafe`)

// hinter finds the names a misspelt one may have meant. It indexes the
// bundles' modules on first use: compiling a bundle with no such error
// costs nothing.
type hinter struct {
	bundles  []*bundle.Bundle
	caps     *ast.Capabilities
	indexed  bool
	builtins []string
	// functions are the user functions by package path ("data.lib"),
	// by short name; rules the rule names by package path.
	functions map[string][]string
	rules     map[string][]string
	// modules by file name, for the rule and imports around an error.
	modules map[string][]*ast.Module
}

func newHinter(bundles []*bundle.Bundle, caps *ast.Capabilities) *hinter {
	return &hinter{bundles: bundles, caps: caps}
}

// hint returns the text to add to the detail of e, or "".
func (h *hinter) hint(e *ast.Error) string {
	if m := undefinedFunction.FindStringSubmatch(e.Message); m != nil {
		if s := h.suggestFunction(m[1], e.Location); s != "" {
			return fmt.Sprintf("Did you mean %s?", s)
		}
		return ""
	}
	if m := unsafeVar.FindStringSubmatch(e.Message); m != nil {
		name := m[1]
		text := fmt.Sprintf("%s is used but never given a value: assign it first (%s := …), take it from a collection (some %s in …), or check its spelling.", name, name, name)
		if s := h.suggestVar(name, e.Location); s != "" {
			text += fmt.Sprintf(" Did you mean %s?", s)
		}
		return text
	}
	return ""
}

func (h *hinter) index() {
	if h.indexed {
		return
	}
	h.indexed = true
	h.functions, h.rules, h.modules = map[string][]string{}, map[string][]string{}, map[string][]*ast.Module{}
	if h.caps != nil {
		for _, b := range h.caps.Builtins {
			if !strings.HasPrefix(b.Name, "internal.") && b.Infix == "" {
				h.builtins = append(h.builtins, b.Name)
			}
		}
	}
	for _, b := range h.bundles {
		for _, m := range append(append([]*bundle.Module(nil), b.Modules...), b.Tests...) {
			if m == nil || m.Parsed == nil {
				continue
			}
			pkg := m.Parsed.Package.Path.String()
			h.modules[m.Filename] = append(h.modules[m.Filename], m.Parsed)
			for _, r := range m.Parsed.Rules {
				name, ok := headName(r)
				if !ok {
					continue
				}
				if len(r.Head.Args) > 0 {
					h.functions[pkg] = append(h.functions[pkg], name)
				} else {
					h.rules[pkg] = append(h.rules[pkg], name)
				}
			}
		}
	}
}

// suggestFunction finds the function an undefined one may have meant: a
// builtin or a function of the error's own package for a plain name, a
// function of the named package for data.PKG.NAME.
func (h *hinter) suggestFunction(name string, loc *ast.Location) string {
	h.index()
	if strings.HasPrefix(name, "data.") {
		i := strings.LastIndexByte(name, '.')
		pkg, short := name[:i], name[i+1:]
		if s := closest(short, h.functions[pkg]); s != "" {
			return pkg + "." + s
		}
		var all []string
		for p, fns := range h.functions {
			for _, f := range fns {
				all = append(all, p+"."+f)
			}
		}
		return closest(name, all)
	}
	candidates := append([]string(nil), h.builtins...)
	if m := h.moduleAt(loc); m != nil {
		candidates = append(candidates, h.functions[m.Package.Path.String()]...)
	}
	return closest(name, candidates)
}

// suggestVar finds the name an unsafe variable may have meant: another
// variable of its rule, a rule of its package, or an import.
func (h *hinter) suggestVar(name string, loc *ast.Location) string {
	h.index()
	m := h.moduleAt(loc)
	if m == nil {
		return ""
	}
	candidates := append([]string(nil), h.rules[m.Package.Path.String()]...)
	for _, imp := range m.Imports {
		candidates = append(candidates, imp.Name().String())
	}
	if r := ruleAt(m, loc); r != nil {
		ast.WalkVars(r, func(v ast.Var) bool {
			if !v.IsWildcard() && !v.IsGenerated() {
				candidates = append(candidates, string(v))
			}
			return false
		})
	}
	var others []string
	for _, c := range candidates {
		if c != name {
			others = append(others, c)
		}
	}
	return closest(name, others)
}

// moduleAt is the module holding loc: the only one of its file, or, for the
// inline Rego of several policies of one .hcl file, the one whose rules
// span its row.
func (h *hinter) moduleAt(loc *ast.Location) *ast.Module {
	if loc == nil {
		return nil
	}
	ms := h.modules[loc.File]
	if len(ms) == 1 {
		return ms[0]
	}
	for _, m := range ms {
		if ruleAt(m, loc) != nil {
			return m
		}
	}
	return nil
}

// ruleAt is the rule of m whose text spans loc's row.
func ruleAt(m *ast.Module, loc *ast.Location) *ast.Rule {
	for _, r := range m.Rules {
		if r.Location == nil {
			continue
		}
		first := r.Location.Row
		last := first + strings.Count(string(r.Location.Text), "\n")
		if loc.Row >= first && loc.Row <= last {
			return r
		}
	}
	return nil
}

func headName(r *ast.Rule) (string, bool) {
	ref := r.Head.Ref()
	if len(ref) == 0 {
		return "", false
	}
	switch v := ref[0].Value.(type) {
	case ast.Var:
		return string(v), true
	case ast.String:
		return string(v), true
	}
	return "", false
}

// closest returns the candidate nearest to name, if it is near enough to be
// a misspelling: at most two edits, and fewer than half the name's length
// (so that "g" does not suggest "f"). Ties go to the first in sorted order.
func closest(name string, candidates []string) string {
	sort.Strings(candidates)
	best, bestDist := "", 3
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := levenshtein.Distance(strings.ToLower(name), strings.ToLower(c), nil)
		if d < bestDist && 2*d < len(name) {
			best, bestDist = c, d
		}
	}
	return best
}
