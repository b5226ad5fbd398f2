package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/open-policy-agent/opa/v1/ast"
)

// JSON documents. A document given as JSON text (document.Entry.JSON) is
// decoded straight to a Rego value, with no Go maps in between: those cost
// more than the Rego value itself (a 17 MB document takes 200 MB as
// map[string]any and 280 MB as Rego values), and the old path held both at
// once. CheckJSON walks the same tokens without building anything, so that
// a reader can refuse at load, with a position, what judging would refuse.
//
// The tokenizer is the one of encoding/json/v2 (jsontext; Go 1.27 has it in
// the standard library): it reads tokens without allocating, and knows the
// offset of each, which encoding/json's Decoder.Token does 9 times slower.

// MaxJSONDepth is how deeply objects and lists may nest in a document.
const MaxJSONDepth = 1000

// MaxDuplicatesListed bounds the duplicate names CheckJSON lists; it counts
// them all.
const MaxDuplicatesListed = 10

// DuplicateName is a name given twice in one JSON object. As in every JSON
// decoder assay used before, the later value wins.
type DuplicateName struct {
	Name string
	// Offset is the byte offset of the later name, First of the earlier.
	Offset, First int64
}

// JSONError is JSON the engine refuses, at a byte offset of its text.
type JSONError struct {
	Offset int64
	Err    error
}

func (e *JSONError) Error() string { return fmt.Sprintf("offset %d: %v", e.Offset, e.Err) }

func (e *JSONError) Unwrap() error { return e.Err }

// ErrNumberRange is the cause of a JSONError for a number that is out of
// range.
var ErrNumberRange = errors.New("number out of range")

// JSONInfo is what CheckJSON learnt about one JSON text.
type JSONInfo struct {
	// Top is the kind of the top-level value: '{', '[', '"', '0' (a
	// number), 't', 'f' or 'n', as jsontext.Kind.
	Top byte
	// Schema and Kind are the top-level object's "schema" and "kind" when
	// they are strings: the values a decoder sees, the last of duplicates.
	Schema, Kind string
	// Duplicates are the first MaxDuplicatesListed names given twice in
	// one object, in the order of the text; DuplicatesTotal counts all.
	Duplicates      []DuplicateName
	DuplicatesTotal int
}

// CheckJSON checks the text of one JSON value as the engine decodes it:
// its syntax, its nesting (at most MaxJSONDepth), numbers within what both
// a float64 and the evaluator hold, and nothing after the value. Names given
// twice in one object are reported in the JSONInfo, not refused. Errors are
// *JSONError.
func CheckJSON(data []byte) (JSONInfo, error) {
	w := newJSONWalker(data, false)
	defer w.release()
	_, err := w.document()
	return w.info, err
}

// decodeJSON decodes the text of one JSON value to a Rego value, numbers
// kept as their text; a name given twice in one object keeps its last value.
func decodeJSON(data []byte) (ast.Value, error) {
	w := newJSONWalker(data, true)
	defer w.release()
	t, err := w.document()
	if err != nil {
		return nil, err
	}
	return t.Value, nil
}

// objectScratch is what reading one object needs, kept per depth.
type objectScratch struct {
	seen names
	kvs  [][2]*ast.Term
}

// jsonWalker reads one JSON text token by token, checking it and, when
// build is set, making the Rego value.
type jsonWalker struct {
	data  []byte
	dec   *jsontext.Decoder
	build bool
	info  JSONInfo
	// objects holds one objectScratch per depth, by pointer: a deeper
	// object appends while a shallower one is using its own.
	objects []*objectScratch
	// strs interns strings (str); unquoted is where escapes are undone.
	strs     stringCache
	unquoted []byte
	buf      bytes.Buffer // the reader of data
}

// walkers keeps walkers, with their decoder, scratch and string cache, from
// one document to the next: the documents a worker judges in turn share
// them.
var walkers = sync.Pool{New: func() any {
	return &jsonWalker{dec: new(jsontext.Decoder), strs: make(stringCache, 256)}
}}

func newJSONWalker(data []byte, build bool) *jsonWalker {
	w := walkers.Get().(*jsonWalker)
	w.data, w.build, w.info = data, build, JSONInfo{}
	// A bytes.Buffer is read in place, not copied. Duplicate names are
	// ours to report; invalid UTF-8 becomes U+FFFD, as encoding/json has
	// always made it.
	w.buf = *bytes.NewBuffer(data)
	w.dec.Reset(&w.buf, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	return w
}

// release returns the walker to walkers, holding nothing of the document.
func (w *jsonWalker) release() {
	w.data, w.info = nil, JSONInfo{}
	w.buf = bytes.Buffer{}
	w.dec.Reset(&w.buf)
	walkers.Put(w)
}

func (w *jsonWalker) document() (*ast.Term, error) {
	w.info.Top = byte(w.dec.PeekKind())
	t, err := w.value(0)
	if err != nil {
		return nil, err
	}
	start := w.start()
	if _, err := w.dec.ReadToken(); err != io.EOF {
		return nil, &JSONError{Offset: start, Err: errors.New("unexpected data after the JSON document")}
	}
	return t, nil
}

// start is the offset of the next token: past the whitespace, commas and
// colons that the decoder has not read yet.
func (w *jsonWalker) start() int64 {
	off := w.dec.InputOffset()
	for off < int64(len(w.data)) {
		switch w.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

// syntaxError turns the tokenizer's error into a JSONError at its offset.
func (w *jsonWalker) syntaxError(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		// Its own text names a JSON pointer, which in a hostile
		// document is megabytes long; the offset says where.
		return &JSONError{Offset: se.ByteOffset, Err: se.Err}
	}
	return &JSONError{Offset: w.dec.InputOffset(), Err: err}
}

// value reads one value. Offsets are found only for an error: every value
// of every document comes through here.
func (w *jsonWalker) value(depth int) (*ast.Term, error) {
	switch k := w.dec.PeekKind(); k {
	case '{', '[':
		if depth >= MaxJSONDepth {
			return nil, &JSONError{Offset: w.start(), Err: fmt.Errorf("objects and lists nest more than %d levels deep", MaxJSONDepth)}
		}
	case '"':
		if !w.build {
			// Read as a value, which checks it without unquoting it.
			if _, err := w.dec.ReadValue(); err != nil {
				return nil, w.syntaxError(err)
			}
			return nil, nil
		}
		_, t, err := w.str(maxInternedValue)
		return t, err
	case '0':
		raw, err := w.dec.ReadValue()
		if err != nil {
			return nil, w.syntaxError(err)
		}
		if err := checkNumber(raw); err != nil {
			return nil, &JSONError{Offset: w.dec.InputOffset() - int64(len(raw)), Err: err}
		}
		if !w.build {
			return nil, nil
		}
		// As ast.InterfaceToValue converts a json.Number.
		if t := ast.InternedIntNumberTermFromString(string(raw)); t != nil {
			return t, nil
		}
		return ast.NumberTerm(json.Number(raw)), nil
	}
	tok, err := w.dec.ReadToken()
	if err != nil {
		return nil, w.syntaxError(err)
	}
	switch tok.Kind() {
	case '{':
		return w.object(depth)
	case '[':
		return w.array(depth)
	case 't':
		return ast.InternedTerm(true), nil
	case 'f':
		return ast.InternedTerm(false), nil
	case 'n':
		return ast.NullTerm(), nil
	}
	// Not reached: ReadToken reads the kind PeekKind saw.
	return nil, &JSONError{Offset: w.dec.InputOffset(), Err: fmt.Errorf("unexpected %v", tok.Kind())}
}

// Strings up to these lengths are interned while a document is read: names
// repeat in every object of a list, and short values ("root", "0644",
// "yes") in many. A long value is seldom repeated and is not worth a
// lookup.
const (
	maxInternedName  = 128
	maxInternedValue = 32
	// maxInterned bounds the strings one cache holds, whatever the
	// document: past it, new strings are made as they come.
	maxInterned = 4096
)

// stringCache maps the text of a string to its Rego term. Terms are never
// changed once made, so documents share them as OPA shares its own
// interned terms.
type stringCache map[string]*ast.Term

// str reads a string (a value, or a name), unquoted, and when building its
// Rego term, interned when it is at most max bytes long. The string is
// looked up by its bytes, unquoted into scratch first when it has escapes
// or invalid UTF-8, without making a Go string unless it is new.
func (w *jsonWalker) str(max int) (string, *ast.Term, error) {
	raw, err := w.dec.ReadValue()
	if err != nil {
		return "", nil, w.syntaxError(err)
	}
	text := raw[1 : len(raw)-1]
	if bytes.IndexByte(text, '\\') >= 0 || !utf8.Valid(text) {
		// Invalid UTF-8 becomes U+FFFD, as encoding/json has always made
		// it (the only error left once the decoder has read the string).
		buf, _ := jsontext.AppendUnquote(w.unquoted[:0], raw)
		if cap(buf) <= maxKeptUnquoted {
			w.unquoted = buf[:0]
		}
		text = buf
	}
	if len(text) <= max {
		if t, ok := w.strs[string(text)]; ok {
			return string(t.Value.(ast.String)), t, nil
		}
	}
	s := string(text)
	if len(s) <= max && len(w.strs) < maxInterned {
		// Kept even while only checking: the string is then made once,
		// not once for every object that names it.
		t := ast.InternedTerm(s)
		w.strs[s] = t
		return s, t, nil
	}
	if !w.build {
		return s, nil, nil
	}
	return s, ast.InternedTerm(s), nil
}

// names tracks the names of one object, to find those given twice: a
// short list while the object is small, a map once it is not.
type names struct {
	list   []nameAt
	set    map[string]int // index in the object's members
	useSet bool           // past namesListMax names
}

// reset empties n for the next object at its depth, keeping its memory
// (a document has many objects, and each used to allocate its own) unless
// one object of many names grew it.
func (n *names) reset() {
	n.list = n.list[:0]
	if n.useSet {
		// Clearing costs what the map grew to: after one object of many
		// names, every later object at this depth would pay for it.
		if len(n.set) > namesReuseMax {
			n.set = nil
			n.list = nil
		} else {
			clear(n.set)
		}
		n.useSet = false
	}
}

// namesReuseMax is the most names a reused set may have held; a larger one
// is dropped rather than cleared.
const namesReuseMax = 1024

// Scratch grown past these by one large object, or by one long string with
// escapes (a file's text, with its \n), is dropped rather than kept in a
// pooled walker for every later document.
const (
	maxKeptMembers  = 4096     // an object's members, 16 bytes each
	maxKeptUnquoted = 64 << 10 // bytes of one unquoted string
)

type nameAt struct {
	name string
	off  int64
	idx  int
}

const namesListMax = 16

// add records the name at member index idx and returns the member it
// repeats, if any.
func (n *names) add(name string, off int64, idx int) (prev nameAt, dup bool) {
	if !n.useSet {
		for _, e := range n.list {
			if e.name == name {
				return e, true
			}
		}
		n.list = append(n.list, nameAt{name, off, idx})
		if len(n.list) > namesListMax {
			if n.set == nil {
				n.set = make(map[string]int, 2*namesListMax)
			}
			n.useSet = true
			for i, e := range n.list {
				n.set[e.name] = i
			}
		}
		return nameAt{}, false
	}
	if i, ok := n.set[name]; ok {
		return n.list[i], true
	}
	n.set[name] = len(n.list)
	n.list = append(n.list, nameAt{name, off, idx})
	return nameAt{}, false
}

func (w *jsonWalker) object(depth int) (*ast.Term, error) {
	// The names and members of the object at this depth, in memory that
	// the walker reuses from one object to the next (ast.NewObject copies
	// the members out).
	for len(w.objects) <= depth {
		w.objects = append(w.objects, new(objectScratch))
	}
	sc := w.objects[depth]
	kvs, seen := sc.kvs[:0], &sc.seen
	defer func() {
		// Emptied when the object is read, not when the next one at
		// this depth is: a released walker keeps no document's terms
		// alive, nor the room one large object made.
		if cap(kvs) > maxKeptMembers {
			sc.kvs = nil
		} else {
			clear(kvs)
			sc.kvs = kvs[:0]
		}
		seen.reset()
	}()
	for w.dec.PeekKind() != '}' {
		// Where the name is, for CheckJSON to report it given twice.
		var off int64
		if !w.build {
			off = w.start()
		}
		name, key, err := w.str(maxInternedName)
		if err != nil {
			return nil, err
		}
		prev, dup := seen.add(name, off, len(kvs))
		if dup && !w.build {
			w.info.DuplicatesTotal++
			if len(w.info.Duplicates) < MaxDuplicatesListed {
				w.info.Duplicates = append(w.info.Duplicates, DuplicateName{Name: name, Offset: off, First: prev.off})
			}
		}
		var v *ast.Term
		if depth == 0 && (name == "schema" || name == "kind") {
			v, err = w.topField(name)
		} else {
			v, err = w.value(depth + 1)
		}
		if err != nil {
			return nil, err
		}
		if !w.build {
			continue
		}
		if dup {
			kvs[prev.idx][1] = v // the later value wins
			continue
		}
		kvs = append(kvs, [2]*ast.Term{key, v})
	}
	if _, err := w.dec.ReadToken(); err != nil {
		return nil, w.syntaxError(err)
	}
	if !w.build {
		return nil, nil
	}
	return ast.NewTerm(ast.NewObject(kvs...)), nil
}

// topField reads the value of a top-level "schema" or "kind", recording it
// when it is a string and forgetting an earlier one when it is not.
func (w *jsonWalker) topField(name string) (*ast.Term, error) {
	field := &w.info.Kind
	if name == "schema" {
		field = &w.info.Schema
	}
	*field = ""
	if w.dec.PeekKind() != '"' {
		return w.value(1)
	}
	s, t, err := w.str(maxInternedValue)
	if err != nil {
		return nil, err
	}
	*field = s
	return t, nil
}

func (w *jsonWalker) array(depth int) (*ast.Term, error) {
	var elems []*ast.Term
	for w.dec.PeekKind() != ']' {
		v, err := w.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if w.build {
			elems = append(elems, v)
		}
	}
	if _, err := w.dec.ReadToken(); err != nil {
		return nil, w.syntaxError(err)
	}
	if !w.build {
		return nil, nil
	}
	return ast.ArrayTerm(elems...), nil
}

// checkNumber refuses a number the evaluator cannot take (ast.NumberChecked:
// an exponent beyond 2^±100000) or that no float64 can hold (beyond
// ±1.8e308): reports, metrics and YAML readers all go through float64.
func checkNumber(raw []byte) error {
	// Only a long number or one with an exponent can be out of range, for
	// either: the others are passed without making a string of them.
	if len(raw) < 300 && !bytes.ContainsAny(raw, "eE") {
		return nil
	}
	s := string(raw)
	if _, err := ast.NumberChecked(s); err != nil {
		return fmt.Errorf("%w: %s cannot be evaluated (%v)", ErrNumberRange, abbreviate(s), err)
	}
	if _, err := strconv.ParseFloat(s, 64); errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("%w: %s is beyond what a 64-bit float holds (±1.8e308)", ErrNumberRange, abbreviate(s))
	}
	return nil
}

func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
