package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
)

// docContext is what a finding needs to know about the input it came from.
type docContext struct {
	label     string // names the input in error messages
	collector string
	path      string // the document's path, for findings whose rule gave none
	// fleet, for a fleet policy, holds the targets' names: each result
	// must name one as its "target".
	fleet map[string]int
}

// documentLabel names a document in error messages: its path, or its
// position in the input. v is as for documentPath.
func documentLabel(d *document.Entry, v ast.Value, index int) string {
	if p := documentPath(d, v); p != "" {
		return "document " + strconv.Quote(p)
	}
	return fmt.Sprintf("document #%d", index)
}

// collect turns the values of a query's slots into findings. A value that
// is not a valid result is an error of its policy; the other policies of
// the query keep their findings.
func (r *run) collect(o *outcome, b *binding, vals values, dc *docContext) {
	q := b.q
	excepted := exceptions(b, vals)
	add := func(p *policy, rule string, f report.Finding) {
		if names := excepted[p.index]; names != nil && names[exceptionName(rule)] {
			pkg := strings.TrimPrefix(p.src.Package.String(), "data.")
			f.Waived = report.ExceptionWaiver(pkg, exceptionName(rule))
		}
		o.findings = append(o.findings, policyFinding{policy: p.index, Finding: f})
	}
	if set, ok := vals.fused.(ast.Set); ok {
		failed := map[int]bool{}
		for _, t := range set.Slice() {
			pair, ok := t.Value.(*ast.Array)
			if !ok || pair.Len() != 2 {
				continue
			}
			n, _ := pair.Elem(0).Value.(ast.Number)
			idx, ok := n.Int()
			if !ok || idx < 0 || idx >= len(q.fused.slots) {
				continue
			}
			for _, p := range b.fused[idx] {
				if failed[p.index] {
					continue
				}
				s := slot{policy: p, rule: q.fused.slots[idx].rule}
				f, err := r.decodeResult(s, pair.Elem(1).Value, dc)
				if err != nil {
					failed[p.index] = true
					o.errs = append(o.errs, policyError{policy: p.index, msg: fmt.Sprintf("%s: %v", dc.label, err)})
					continue
				}
				add(p, s.rule, f)
			}
		}
	}
	for _, s := range b.slots {
		v := vals.slots[s.at]
		if v == nil || s.rule == exceptionRule {
			continue
		}
		fs, err := r.decodeRule(s, v, dc)
		if err != nil {
			o.errs = append(o.errs, policyError{policy: s.policy.index, msg: fmt.Sprintf("%s: %v", dc.label, err)})
			continue
		}
		for _, f := range fs {
			add(s.policy, s.rule, f)
		}
	}
}

// exceptions reads the exception rules of the binding's policies, as
// conftest queries them (data.PKG.exception[_][_] == NAME): the strings
// inside each collection the rule holds are the names of the rules it
// excepts, "" for the plain deny, violation and warn. Anything else in it
// excepts nothing, as in conftest. The result is by policy index, nil when
// no policy has an exception rule.
func exceptions(b *binding, vals values) map[int]map[string]bool {
	var out map[int]map[string]bool
	for _, s := range b.slots {
		if s.rule != exceptionRule || vals.slots[s.at] == nil {
			continue
		}
		names := map[string]bool{}
		eachElement(vals.slots[s.at], func(inner ast.Value) {
			eachElement(inner, func(v ast.Value) {
				if name, ok := v.(ast.String); ok {
					names[string(name)] = true
				}
			})
		})
		if out == nil {
			out = map[int]map[string]bool{}
		}
		out[s.policy.index] = names
	}
	return out
}

// eachElement calls f with each element of a set or array, or each value
// of an object; with nothing for any other value, as Rego's x[_] is then
// undefined.
func eachElement(v ast.Value, f func(ast.Value)) {
	switch x := v.(type) {
	case ast.Set:
		x.Foreach(func(t *ast.Term) { f(t.Value) })
	case *ast.Array:
		x.Foreach(func(t *ast.Term) { f(t.Value) })
	case ast.Object:
		x.Foreach(func(_, t *ast.Term) { f(t.Value) })
	}
}

// exceptionName is the name by which an exception excepts a finding rule,
// as conftest derives it: "" for deny, violation and warn; the rule without
// its first prefix otherwise (deny_latest is excepted as "latest").
func exceptionName(rule string) string {
	if rule == "violation" || rule == "deny" || rule == "warn" {
		return ""
	}
	rule = strings.TrimPrefix(rule, "violation_")
	rule = strings.TrimPrefix(rule, "deny_")
	return strings.TrimPrefix(rule, "warn_")
}

// decodeRule reads one rule's value: a set or array of results (partial and
// multi-value rules), a single result, or a boolean (`deny if ...`).
func (r *run) decodeRule(s slot, v ast.Value, dc *docContext) ([]report.Finding, error) {
	var out []report.Finding
	add := func(t *ast.Term) error {
		f, err := r.decodeResult(s, t.Value, dc)
		if err != nil {
			return err
		}
		out = append(out, f)
		return nil
	}
	var err error
	switch x := v.(type) {
	case ast.Set:
		err = x.Iter(add)
	case *ast.Array:
		err = x.Iter(add)
	case ast.Boolean:
		if x && dc.fleet != nil {
			err = fmt.Errorf("rule %s is true, but a fleet policy must say at which target each finding is: return {\"msg\": …, \"target\": NAME} with NAME from input.targets[_].name", s.rule)
		} else if x {
			f := r.finding(s, dc)
			f.Message = s.policy.meta.Title
			f.ComputeFingerprint()
			out = append(out, f)
		}
	default:
		err = add(ast.NewTerm(v))
	}
	return out, err
}

// decodeResult reads one result: a message, or an object with a string
// "msg", optional "path" and "line", and any other keys as details.
func (r *run) decodeResult(s slot, v ast.Value, dc *docContext) (report.Finding, error) {
	f := r.finding(s, dc)
	switch x := v.(type) {
	case ast.String:
		f.Message = string(x)
	case ast.Object:
		var msg ast.String
		ok := false
		if t := x.Get(ast.InternedTerm("msg")); t != nil {
			msg, ok = t.Value.(ast.String)
		}
		if !ok {
			return f, fmt.Errorf("rule %s returned %s: an object result needs a string \"msg\"", s.rule, truncate(v.String()))
		}
		f.Message = string(msg)
		err := x.Iter(func(k, val *ast.Term) error {
			key, ok := k.Value.(ast.String)
			if !ok {
				key = ast.String(k.String())
			}
			switch key {
			case "msg":
				return nil
			case "path":
				p, ok := val.Value.(ast.String)
				if !ok {
					return fmt.Errorf("rule %s returned path %s: want a string", s.rule, truncate(val.String()))
				}
				f.Path = string(p)
				return nil
			case "target":
				if dc.fleet == nil {
					break // a detail, as before fleet mode
				}
				name, err := fleetTarget(s.rule, val.Value, dc.fleet)
				if err != nil {
					return err
				}
				f.Target = name
				return nil
			case "line":
				n, err := lineOf(val.Value)
				if err != nil {
					return fmt.Errorf("rule %s returned line %s: %w", s.rule, truncate(val.String()), err)
				}
				f.Line = n
				return nil
			}
			j, err := ast.JSON(val.Value)
			if err != nil {
				return fmt.Errorf("rule %s: detail %q: %w", s.rule, key, err)
			}
			if f.Details == nil {
				f.Details = map[string]any{}
			}
			f.Details[string(key)] = j
			return nil
		})
		if err != nil {
			return f, err
		}
	default:
		return f, fmt.Errorf("rule %s returned %s: want a string or an object with a string \"msg\"", s.rule, truncate(v.String()))
	}
	if dc.fleet != nil && f.Target == "" {
		return f, fmt.Errorf("rule %s returned %s with no \"target\": a fleet policy must say at which target each finding is, as {\"msg\": …, \"target\": NAME} with NAME from input.targets[_].name", s.rule, truncate(v.String()))
	}
	f.ComputeFingerprint()
	return f, nil
}

// finding is a finding of the slot's policy with everything but the
// rule's own result filled in.
func (r *run) finding(s slot, dc *docContext) report.Finding {
	m := &s.policy.meta
	kind := report.Deny
	if isWarnRule(s.rule) {
		kind = report.Warn
	}
	return report.Finding{
		Bundle:      m.Bundle,
		PolicyID:    m.ID,
		Title:       m.Title,
		Kind:        kind,
		Severity:    m.Severity,
		Enforcement: m.Enforcement,
		Controls:    m.Controls,
		Remediation: m.Remediation,
		Target:      r.in.Target.Name,
		Collector:   dc.collector,
		Path:        dc.path,
	}
}

func lineOf(v ast.Value) (int, error) {
	switch x := v.(type) {
	case ast.Number:
		if n, ok := x.Int(); ok && n >= 0 {
			return n, nil
		}
	case ast.String:
		if n, err := strconv.Atoi(string(x)); err == nil && n >= 0 {
			return n, nil
		}
	}
	return 0, fmt.Errorf("want a non-negative integer")
}

// truncate keeps error messages about huge values readable: 200
// characters, then "…".
func truncate(s string) string { return cut(s, 201) }

// cut shortens s to n runes, ending with "…"; it never splits a character.
// It reads no further than the rune after the n-th and converts only the
// runes kept, as []rune does (an invalid byte becomes U+FFFD): the value
// cut may be a whole document.
func cut(s string, n int) string {
	k, end := 0, 0
	for i := range s {
		if k == n-1 {
			end = i
		} else if k == n {
			return string([]rune(s[:end])) + "…"
		}
		k++
	}
	return s
}
