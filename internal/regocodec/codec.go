// Package regocodec writes compiled Rego modules (OPA's AST) to bytes and
// reads them back, so that a build step can compile policies once and a
// program rebuild their compiled form without parsing and rewriting them
// again. It keeps what evaluation reads: packages, imports, rules and
// their heads, bodies, expressions, terms, locations (their text a slice
// of the module's source) and the compiler's rewritten variables. It
// drops comments and annotations, which compiled modules no longer need,
// and refuses any node it does not know rather than lose it.
//
// The bytes are an internal format: a version byte, a string table, then
// each module's source and tree, as uvarints. Decode reads only what Encode of the
// same version wrote.
package regocodec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
)

// version changes with the format.
const version = 2

// Value tags.
const (
	tagNull byte = iota
	tagTrue
	tagFalse
	tagNumber
	tagString
	tagVar
	tagRef
	tagArray
	tagObject
	tagSet
	tagArrayCompr
	tagObjectCompr
	tagSetCompr
	tagCall
	tagTemplate
	tagNilTerm = 255
)

// Expression kinds.
const (
	exprTerm byte = iota
	exprCall
	exprSome
	exprEvery
)

// Location kinds.
const (
	locNil byte = iota
	locSource
	locText
	locSeen
)

// Set is a set of compiled modules by key, with their sources and the
// compiler's map of rewritten variables (ast.Compiler.RewrittenVars).
type Set struct {
	Modules map[string]*ast.Module
	// Sources holds each module's source by key (a module without one
	// keeps all its location texts whole). A location whose text is its
	// module's source at its offset keeps only the offset and length, and
	// its decoded text is a slice of the decoded source.
	Sources       map[string][]byte
	RewrittenVars map[ast.Var]ast.Var
}

// Encode writes the set.
func Encode(s Set) ([]byte, error) {
	e := &encoder{strings: map[string]int{}, locs: map[*ast.Location]int{}}
	keys := make([]string, 0, len(s.Modules))
	for k := range s.Modules {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e.uint(len(keys))
	for _, k := range keys {
		e.str(k)
		e.src = s.Sources[k]
		e.uint(len(e.src))
		e.buf = append(e.buf, e.src...)
		e.module(s.Modules[k])
		if e.err != nil {
			return nil, fmt.Errorf("module %s: %w", k, e.err)
		}
	}
	vars := make([]ast.Var, 0, len(s.RewrittenVars))
	for v := range s.RewrittenVars {
		vars = append(vars, v)
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i] < vars[j] })
	e.uint(len(vars))
	for _, v := range vars {
		e.str(string(v))
		e.str(string(s.RewrittenVars[v]))
	}
	out := []byte{version}
	out = binary.AppendUvarint(out, uint64(len(e.list)))
	for _, s := range e.list {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	return append(out, e.buf...), nil
}

// encoder writes a tree. Its first error sticks, as a bufio.Writer's does:
// the methods go on writing, and Encode checks once per module.
type encoder struct {
	buf     []byte
	strings map[string]int
	list    []string
	locs    map[*ast.Location]int
	src     []byte
	err     error
}

func (e *encoder) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf(format, args...)
	}
}

func (e *encoder) uint(n int)  { e.buf = binary.AppendUvarint(e.buf, uint64(n)) }
func (e *encoder) byte(b byte) { e.buf = append(e.buf, b) }

func (e *encoder) bool(b bool) {
	if b {
		e.byte(1)
	} else {
		e.byte(0)
	}
}

func (e *encoder) str(s string) {
	i, ok := e.strings[s]
	if !ok {
		i = len(e.list)
		e.strings[s] = i
		e.list = append(e.list, s)
	}
	e.uint(i)
}

func (e *encoder) module(m *ast.Module) {
	span := m.RegoVersionSpan()
	if again, err := ast.NewRegoVersionSpan(span.Min(), span.Max()); err != nil || again != span {
		e.fail("rego version span %v cannot be rebuilt", span)
	}
	e.uint(int(span.Min()))
	e.uint(int(span.Max()))
	e.terms(m.Package.Path)
	e.loc(m.Package.Location)
	e.uint(len(m.Imports))
	for _, imp := range m.Imports {
		e.term(imp.Path)
		e.str(string(imp.Alias))
		e.loc(imp.Location)
		e.loc(imp.AliasLocation)
	}
	e.uint(len(m.Rules))
	for _, r := range m.Rules {
		e.rule(r)
	}
}

func (e *encoder) rule(r *ast.Rule) {
	e.bool(r.Default)
	h := r.Head
	e.str(string(h.Name))
	e.bool(h.Reference != nil)
	e.terms(h.Reference)
	e.bool(h.Args != nil)
	e.terms(h.Args)
	e.term(h.Key)
	e.term(h.Value)
	e.bool(h.Assign)
	e.loc(h.Location)
	e.body(r.Body)
	e.loc(r.Location)
	e.bool(r.Else != nil)
	if r.Else != nil {
		e.rule(r.Else)
	}
}

func (e *encoder) body(b ast.Body) {
	e.uint(len(b))
	for _, x := range b {
		e.expr(x)
	}
}

func (e *encoder) expr(x *ast.Expr) {
	var flags byte
	if x.Negated {
		flags |= 1
	}
	if x.Generated {
		flags |= 2
	}
	e.byte(flags)
	e.uint(x.Index)
	e.loc(x.Location)
	e.uint(len(x.With))
	for _, w := range x.With {
		e.term(w.Target)
		e.term(w.Value)
		e.loc(w.Location)
	}
	switch t := x.Terms.(type) {
	case *ast.Term:
		e.byte(exprTerm)
		e.term(t)
	case []*ast.Term:
		e.byte(exprCall)
		e.terms(t)
	case *ast.SomeDecl:
		e.byte(exprSome)
		e.loc(t.Location)
		e.terms(t.Symbols)
	case *ast.Every:
		e.byte(exprEvery)
		e.loc(t.Location)
		e.term(t.Key)
		e.term(t.Value)
		e.term(t.Domain)
		e.body(t.Body)
	default:
		e.fail("expression of %T not supported", x.Terms)
	}
}

func (e *encoder) terms(ts []*ast.Term) {
	e.uint(len(ts))
	for _, t := range ts {
		e.term(t)
	}
}

// term writes a term, a nil one (a head's key or value, Every's key) as
// tagNilTerm.
func (e *encoder) term(t *ast.Term) {
	if t == nil {
		e.byte(tagNilTerm)
		return
	}
	e.value(t.Value)
	e.loc(t.Location)
}

func (e *encoder) value(v ast.Value) {
	switch v := v.(type) {
	case ast.Null:
		e.byte(tagNull)
	case ast.Boolean:
		if v {
			e.byte(tagTrue)
		} else {
			e.byte(tagFalse)
		}
	case ast.Number:
		e.byte(tagNumber)
		e.str(string(v))
	case ast.String:
		e.byte(tagString)
		e.str(string(v))
	case ast.Var:
		e.byte(tagVar)
		e.str(string(v))
	case ast.Ref:
		e.byte(tagRef)
		e.terms(v)
	case *ast.Array:
		e.byte(tagArray)
		e.uint(v.Len())
		for i := range v.Len() {
			e.term(v.Elem(i))
		}
	case ast.Object:
		e.byte(tagObject)
		e.uint(v.Len())
		for _, k := range v.Keys() {
			e.term(k)
			e.term(v.Get(k))
		}
	case ast.Set:
		e.byte(tagSet)
		e.terms(v.Slice())
	case *ast.ArrayComprehension:
		e.byte(tagArrayCompr)
		e.term(v.Term)
		e.body(v.Body)
	case *ast.ObjectComprehension:
		e.byte(tagObjectCompr)
		e.term(v.Key)
		e.term(v.Value)
		e.body(v.Body)
	case *ast.SetComprehension:
		e.byte(tagSetCompr)
		e.term(v.Term)
		e.body(v.Body)
	case ast.Call:
		e.byte(tagCall)
		e.terms(v)
	case *ast.TemplateString:
		e.byte(tagTemplate)
		e.bool(v.MultiLine)
		e.uint(len(v.Parts))
		for _, p := range v.Parts {
			switch p := p.(type) {
			case *ast.Expr:
				e.byte(0)
				e.expr(p)
			case *ast.Term:
				e.byte(1)
				e.term(p)
			default:
				e.fail("template string part of %T not supported", p)
			}
		}
	default:
		e.fail("value of %T not supported", v)
	}
}

// loc writes a location once; later uses of the same pointer refer back
// to it, as the compiler shares them.
func (e *encoder) loc(l *ast.Location) {
	if l == nil {
		e.byte(locNil)
		return
	}
	if i, ok := e.locs[l]; ok {
		e.byte(locSeen)
		e.uint(i)
		return
	}
	if l.Offset < 0 || l.Row < 0 || l.Col < 0 {
		e.fail("location %v has a negative offset, row or column", l)
	}
	e.locs[l] = len(e.locs)
	end := l.Offset + len(l.Text)
	if l.Offset >= 0 && end <= len(e.src) && bytes.Equal(e.src[l.Offset:end], l.Text) {
		e.byte(locSource)
		e.uint(len(l.Text))
	} else {
		e.byte(locText)
		e.str(string(l.Text))
	}
	e.str(l.File)
	e.uint(l.Row)
	e.uint(l.Col)
	e.uint(l.Offset)
	e.uint(len(l.Tabs))
	for _, t := range l.Tabs {
		e.uint(t)
	}
}

// ErrFormat says the bytes are not what Encode of this version wrote.
var ErrFormat = errors.New("regocodec: not an encoded module set of this version")

// Decode reads a set Encode wrote. data is a string so that a program can
// decode a constant without copying it: strings of the set are slices of
// it. The sources are copied once, and location texts are slices of them.
func Decode(data string) (s Set, err error) {
	d := &decoder{data: data}
	defer func() {
		// A truncated or foreign input fails on a bounds check somewhere in
		// the tree; one recover answers for every read.
		if r := recover(); r != nil {
			s, err = Set{}, fmt.Errorf("%w: %v", ErrFormat, r)
		}
	}()
	if d.next() != version {
		return Set{}, ErrFormat
	}
	d.strings = make([]string, d.count())
	for i := range d.strings {
		n := d.uint()
		d.strings[i] = d.data[d.pos : d.pos+n]
		d.pos += n
	}
	n := d.count()
	s.Modules = make(map[string]*ast.Module, n)
	s.Sources = make(map[string][]byte, n)
	for range n {
		k := d.str()
		size := d.count()
		d.src = []byte(d.data[d.pos : d.pos+size])
		d.pos += size
		s.Sources[k] = d.src
		s.Modules[k] = d.module()
	}
	n = d.count()
	s.RewrittenVars = make(map[ast.Var]ast.Var, n)
	for range n {
		k := ast.Var(d.str())
		s.RewrittenVars[k] = ast.Var(d.str())
	}
	if d.pos != len(d.data) {
		return Set{}, fmt.Errorf("%w: %d bytes left over", ErrFormat, len(d.data)-d.pos)
	}
	return s, nil
}

type decoder struct {
	data    string
	pos     int
	strings []string
	locs    []*ast.Location
	src     []byte
}

func (d *decoder) next() byte {
	b := d.data[d.pos]
	d.pos++
	return b
}

func (d *decoder) uint() int {
	var x uint64
	for shift := uint(0); ; shift += 7 {
		b := d.next()
		if shift > 56 {
			panic("uvarint overflows")
		}
		x |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return int(x)
		}
	}
}

// count reads a number of elements, each of which takes a byte at least:
// a count past the bytes left is not this format's, and must not become
// an allocation.
func (d *decoder) count() int {
	n := d.uint()
	if n > len(d.data)-d.pos {
		panic(fmt.Sprintf("count %d past the %d bytes left", n, len(d.data)-d.pos))
	}
	return n
}

func (d *decoder) bool() bool  { return d.next() == 1 }
func (d *decoder) str() string { return d.strings[d.uint()] }

func (d *decoder) module() *ast.Module {
	m := &ast.Module{}
	span, err := ast.NewRegoVersionSpan(ast.RegoVersion(d.uint()), ast.RegoVersion(d.uint()))
	if err != nil {
		panic(err)
	}
	m.SetRegoVersionSpan(span)
	m.Package = &ast.Package{Path: d.ref()}
	m.Package.Location = d.loc()
	if n := d.count(); n > 0 {
		m.Imports = make([]*ast.Import, n)
		for i := range m.Imports {
			m.Imports[i] = &ast.Import{Path: d.term(), Alias: ast.Var(d.str()), Location: d.loc(), AliasLocation: d.loc()}
		}
	}
	if n := d.count(); n > 0 {
		m.Rules = make([]*ast.Rule, n)
		for i := range m.Rules {
			m.Rules[i] = d.rule(m)
		}
	}
	return m
}

func (d *decoder) rule(m *ast.Module) *ast.Rule {
	r := &ast.Rule{Module: m, Default: d.bool()}
	h := &ast.Head{Name: ast.Var(d.str())}
	hasRef := d.bool()
	h.Reference = d.ref()
	if !hasRef {
		h.Reference = nil
	}
	hasArgs := d.bool()
	h.Args = d.terms()
	if !hasArgs {
		h.Args = nil
	}
	h.Key = d.term()
	h.Value = d.term()
	h.Assign = d.bool()
	h.Location = d.loc()
	r.Head = h
	r.Body = d.body()
	r.Location = d.loc()
	if d.bool() {
		r.Else = d.rule(m)
	}
	return r
}

func (d *decoder) body() ast.Body {
	b := make(ast.Body, d.count())
	for i := range b {
		b[i] = d.expr()
	}
	return b
}

func (d *decoder) expr() *ast.Expr {
	flags := d.next()
	x := &ast.Expr{Negated: flags&1 != 0, Generated: flags&2 != 0, Index: d.uint(), Location: d.loc()}
	if n := d.count(); n > 0 {
		x.With = make([]*ast.With, n)
		for i := range x.With {
			x.With[i] = &ast.With{Target: d.term(), Value: d.term(), Location: d.loc()}
		}
	}
	switch kind := d.next(); kind {
	case exprTerm:
		x.Terms = d.term()
	case exprCall:
		x.Terms = d.terms()
	case exprSome:
		decl := &ast.SomeDecl{Location: d.loc()}
		decl.Symbols = d.terms()
		x.Terms = decl
	case exprEvery:
		ev := &ast.Every{Location: d.loc()}
		ev.Key, ev.Value, ev.Domain = d.term(), d.term(), d.term()
		ev.Body = d.body()
		x.Terms = ev
	default:
		panic(fmt.Sprintf("expression kind %d", kind))
	}
	return x
}

func (d *decoder) terms() []*ast.Term {
	ts := make([]*ast.Term, d.count())
	for i := range ts {
		ts[i] = d.term()
	}
	return ts
}

func (d *decoder) ref() ast.Ref { return ast.Ref(d.terms()) }

func (d *decoder) term() *ast.Term {
	tag := d.next()
	if tag == tagNilTerm {
		return nil
	}
	v := d.value(tag)
	return &ast.Term{Value: v, Location: d.loc()}
}

func (d *decoder) value(tag byte) ast.Value {
	switch tag {
	case tagNull:
		return ast.NullValue
	case tagTrue:
		return ast.Boolean(true)
	case tagFalse:
		return ast.Boolean(false)
	case tagNumber:
		return ast.Number(d.str())
	case tagString:
		return ast.String(d.str())
	case tagVar:
		return ast.Var(d.str())
	case tagRef:
		return d.ref()
	case tagArray:
		return ast.NewArray(d.terms()...)
	case tagObject:
		n := d.count()
		pairs := make([][2]*ast.Term, n)
		for i := range pairs {
			pairs[i] = [2]*ast.Term{d.term(), d.term()}
		}
		return ast.NewObject(pairs...)
	case tagSet:
		return ast.NewSet(d.terms()...)
	case tagArrayCompr:
		return &ast.ArrayComprehension{Term: d.term(), Body: d.body()}
	case tagObjectCompr:
		return &ast.ObjectComprehension{Key: d.term(), Value: d.term(), Body: d.body()}
	case tagSetCompr:
		return &ast.SetComprehension{Term: d.term(), Body: d.body()}
	case tagCall:
		return ast.Call(d.terms())
	case tagTemplate:
		ts := &ast.TemplateString{MultiLine: d.bool()}
		ts.Parts = make([]ast.Node, d.count())
		for i := range ts.Parts {
			if d.next() == 0 {
				ts.Parts[i] = d.expr()
			} else {
				ts.Parts[i] = d.term()
			}
		}
		return ts
	}
	panic(fmt.Sprintf("value tag %d", tag))
}

func (d *decoder) loc() *ast.Location {
	kind := d.next()
	switch kind {
	case locNil:
		return nil
	case locSeen:
		return d.locs[d.uint()]
	}
	l := &ast.Location{}
	d.locs = append(d.locs, l)
	var n int
	var text string
	if kind == locSource {
		n = d.uint()
	} else {
		text = d.str()
	}
	l.File = d.str()
	l.Row = d.uint()
	l.Col = d.uint()
	l.Offset = d.uint()
	if kind == locSource {
		l.Text = d.src[l.Offset : l.Offset+n : l.Offset+n]
	} else if text != "" {
		l.Text = []byte(text)
	}
	if n := d.count(); n > 0 {
		l.Tabs = make([]int, n)
		for i := range l.Tabs {
			l.Tabs[i] = d.uint()
		}
	}
	return l
}
