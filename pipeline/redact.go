package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle/datasource"
	"github.com/assay-dev/assay/core/report"
)

// RedactedMarker replaces the value of a secret the run holds wherever it
// would leave the run.
const RedactedMarker = "[redacted]"

// redactor replaces the values of the secrets a run holds
// (datasource.Secrets.Values) in strings and in any Go value made of
// them. The run may come to hold more (a secret file read at a fetch), so
// the replacer is rebuilt when the held values change. A nil *redactor,
// or one over no secret, changes nothing.
type redactor struct {
	secrets *datasource.Secrets

	mu   sync.Mutex
	held int
	rep  *strings.Replacer
}

func newRedactor(s *datasource.Secrets) *redactor {
	if s == nil {
		return nil
	}
	return &redactor{secrets: s, held: -1}
}

// replacer returns the replacer for the values held now, or nil when there
// is nothing to redact.
func (r *redactor) replacer() *strings.Replacer {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := r.secrets.Held(); n != r.held {
		r.held, r.rep = n, nil
		// Longest first: a value that holds another is replaced whole.
		var pairs []string
		for _, v := range r.secrets.Values() {
			pairs = append(pairs, v, RedactedMarker)
		}
		if len(pairs) > 0 {
			r.rep = strings.NewReplacer(pairs...)
		}
	}
	return r.rep
}

// String returns s with every held value replaced.
func (r *redactor) String(s string) string {
	if rep := r.replacer(); rep != nil {
		return rep.Replace(s)
	}
	return s
}

// redactValue replaces held values in every string of *p: fields,
// elements, map keys and values, however deep. Strings are not shared:
// what changes is copied, so that values the caller still holds elsewhere
// (a bundle's data) are left alone. It reports whether anything changed.
func redactValue[T any](r *redactor, p *T) bool {
	rep := r.replacer()
	if rep == nil {
		return false
	}
	v, changed := walk(rep, reflect.ValueOf(p).Elem())
	if changed {
		reflect.ValueOf(p).Elem().Set(v)
	}
	return changed
}

var (
	stringType = reflect.TypeFor[string]()
	numberType = reflect.TypeFor[json.Number]()
)

// walk returns v with held values replaced, and whether it changed; v
// itself is never written to. Only plain strings (and byte slices) are
// rewritten: named string types are enumerations (severities, statuses)
// whose values are the program's, and a json.Number that held a secret
// becomes a string where its type allows (in an interface).
func walk(rep *strings.Replacer, v reflect.Value) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.String:
		if v.Type() != stringType {
			return v, false
		}
		s := rep.Replace(v.String())
		if s == v.String() {
			return v, false
		}
		return reflect.ValueOf(s), true
	case reflect.Interface:
		if v.IsNil() {
			return v, false
		}
		e := v.Elem()
		if e.Type() == numberType {
			if s := rep.Replace(e.String()); s != e.String() && stringType.AssignableTo(v.Type()) {
				e = reflect.ValueOf(s)
			} else {
				return v, false
			}
		} else if ne, changed := walk(rep, e); changed {
			e = ne
		} else {
			return v, false
		}
		out := reflect.New(v.Type()).Elem()
		out.Set(e)
		return out, true
	case reflect.Pointer:
		if v.IsNil() {
			return v, false
		}
		ne, changed := walk(rep, v.Elem())
		if !changed {
			return v, false
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(ne)
		return out, true
	case reflect.Struct:
		var out reflect.Value
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			nf, changed := walk(rep, v.Field(i))
			if !changed {
				continue
			}
			if !out.IsValid() {
				out = reflect.New(v.Type()).Elem()
				out.Set(v)
			}
			out.Field(i).Set(nf)
		}
		if !out.IsValid() {
			return v, false
		}
		return out, true
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return v, false
		}
		if v.Type().Elem().Kind() == reflect.Uint8 && v.Kind() == reflect.Slice {
			s := rep.Replace(string(v.Bytes()))
			if s == string(v.Bytes()) {
				return v, false
			}
			return reflect.ValueOf([]byte(s)).Convert(v.Type()), true
		}
		var out reflect.Value
		for i := range v.Len() {
			ne, changed := walk(rep, v.Index(i))
			if !changed {
				continue
			}
			if !out.IsValid() {
				if v.Kind() == reflect.Slice {
					out = reflect.MakeSlice(v.Type(), v.Len(), v.Len())
				} else {
					out = reflect.New(v.Type()).Elem()
				}
				reflect.Copy(out, v)
			}
			out.Index(i).Set(ne)
		}
		if !out.IsValid() {
			return v, false
		}
		return out, true
	case reflect.Map:
		if v.IsNil() {
			return v, false
		}
		type kv struct{ k, v reflect.Value }
		var all []kv
		changed := false
		for it := v.MapRange(); it.Next(); {
			nk, kc := walk(rep, it.Key())
			nv, vc := walk(rep, it.Value())
			changed = changed || kc || vc
			all = append(all, kv{nk, nv})
		}
		if !changed {
			return v, false
		}
		out := reflect.MakeMapWithSize(v.Type(), len(all))
		for _, e := range all {
			out.SetMapIndex(e.k, e.v)
		}
		return out, true
	}
	return v, false
}

// redactReport redacts a report before any exporter sees it; a finding
// whose fields changed gets its fingerprint from what is shown.
func (r *redactor) redactReport(rep *report.Report) {
	if rep == nil || r.replacer() == nil {
		return
	}
	findings := rep.Findings
	rep.Findings = nil
	redactValue(r, rep)
	for i := range findings {
		if redactValue(r, &findings[i]) {
			findings[i].ComputeFingerprint()
		}
	}
	rep.Findings = findings
}

// redactDiags redacts the text of diagnostics (what a data source or
// server said) in place.
func (r *redactor) redactDiags(diags hcl.Diagnostics) {
	if r.replacer() == nil {
		return
	}
	for _, d := range diags {
		d.Summary, d.Detail = r.String(d.Summary), r.String(d.Detail)
	}
}

// redactHandler is a slog.Handler that redacts messages and attributes
// before its inner handler writes them: print() in Rego, errors of data
// sources, paths.
type redactHandler struct {
	inner slog.Handler
	r     *redactor
}

func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	rep := h.r.replacer()
	if rep == nil {
		return h.inner.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, rep.Replace(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(rep, a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if rep := h.r.replacer(); rep != nil {
		red := make([]slog.Attr, len(attrs))
		for i, a := range attrs {
			red[i] = redactAttr(rep, a)
		}
		attrs = red
	}
	return redactHandler{inner: h.inner.WithAttrs(attrs), r: h.r}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{inner: h.inner.WithGroup(name), r: h.r}
}

// redactAttr redacts an attribute's value: strings, groups, and anything
// else by its text (an error, a Stringer) when that holds a secret.
func redactAttr(rep *strings.Replacer, a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, rep.Replace(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, e := range g {
			out[i] = redactAttr(rep, e)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		s := fmt.Sprint(v.Any())
		if r := rep.Replace(s); r != s {
			return slog.String(a.Key, r)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
