package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

func TestCheckJSON(t *testing.T) {
	deep := strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth)
	tooDeep := `{"a": ` + strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth) + "}"
	for _, tc := range []struct {
		name, text string
		want       JSONInfo
		wantOff    int64
		wantErr    string // substring; "" = no error
	}{
		{name: "object", text: `{"kind": "file", "schema": "x/v1", "n": [1, {"kind": 2}]}`,
			want: JSONInfo{Top: '{', Kind: "file", Schema: "x/v1"}},
		{name: "list", text: ` [1, 2] `, want: JSONInfo{Top: '['}},
		{name: "a kind that is no string is none", text: `{"kind": "a", "kind": 3}`,
			want: JSONInfo{Top: '{', Duplicates: []DuplicateName{{Name: "kind", Offset: 14, First: 1}}, DuplicatesTotal: 1}},
		{name: "the last kind wins", text: `{"kind": 3, "kind": "b"}`,
			want: JSONInfo{Top: '{', Kind: "b", Duplicates: []DuplicateName{{Name: "kind", Offset: 12, First: 1}}, DuplicatesTotal: 1}},
		{name: "nested duplicate", text: "{\"a\": {\"x\": 1,\n \"y\": 2, \"x\": 3}, \"x\": 4}",
			want: JSONInfo{Top: '{', Duplicates: []DuplicateName{{Name: "x", Offset: 24, First: 7}}, DuplicatesTotal: 1}},
		{name: "same name in two objects is no duplicate", text: `[{"a": 1}, {"a": 2}]`, want: JSONInfo{Top: '['}},
		{name: "duplicates in a large object", text: largeObject(40, 3),
			want: JSONInfo{Top: '{', Duplicates: []DuplicateName{{Name: "k0", Offset: 421, First: 1}, {Name: "k1", Offset: 430, First: 10}, {Name: "k2", Offset: 439, First: 19}}, DuplicatesTotal: 3}},
		{name: "nesting at the limit", text: deep, want: JSONInfo{Top: '['}},
		{name: "nesting beyond the limit", text: tooDeep, wantOff: 6 + MaxJSONDepth - 1, wantErr: "nest more than 1000 levels deep"},
		{name: "huge exponent", text: `{"n": 1e999999999}`, wantOff: 6, wantErr: "number out of range: 1e999999999 cannot be evaluated"},
		{name: "tiny exponent", text: `{"n": [0, 1e-99999]}`, wantOff: 10, wantErr: "1e-99999 cannot be evaluated"},
		{name: "beyond float64", text: `{"n": -1.5e309}`, wantOff: 6, wantErr: "-1.5e309 is beyond what a 64-bit float holds"},
		{name: "310 digits", text: `{"n": ` + strings.Repeat("9", 310) + `}`, wantOff: 6, wantErr: "99999999999999999999999999999999999..."},
		{name: "large but fine", text: `{"n": [1.7e308, 123456789012345678901234567890, 1e-300]}`, want: JSONInfo{Top: '{'}},
		{name: "trailing data", text: "{\"a\": 1}\n {\"b\": 2}", wantOff: 10, wantErr: "unexpected data after the JSON document"},
		{name: "truncated", text: `{"a": [1, 2,`, wantOff: 12, wantErr: "unexpected EOF"},
		{name: "syntax", text: "{\n  \"a\": 1,\n  \"b\" 2\n}", wantOff: 18, wantErr: "invalid character '2'"},
		{name: "empty", text: "", wantOff: 0, wantErr: "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckJSON([]byte(tc.text))
			if tc.wantErr != "" {
				var je *JSONError
				if !errors.As(err, &je) || !strings.Contains(je.Err.Error(), tc.wantErr) || je.Offset != tc.wantOff {
					t.Fatalf("err = %v, want a JSONError at offset %d containing %q", err, tc.wantOff, tc.wantErr)
				}
				if len(err.Error()) > 200 {
					t.Errorf("error of %d bytes: the position belongs in the offset", len(err.Error()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// largeObject has n names k0…k(n-1), then the first dups again.
func largeObject(n, dups int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n + dups {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"k` + string(rune('0'+i%n%10)) + strings.Repeat("x", i%n/10) + `": 1`)
	}
	b.WriteString("}")
	return b.String()
}

func TestCheckJSONDuplicatesCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(`[`)
	for i := range 50 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"a": 1, "a": 2}`)
	}
	b.WriteString(`]`)
	got, err := CheckJSON([]byte(b.String()))
	if err != nil || got.DuplicatesTotal != 50 || len(got.Duplicates) != MaxDuplicatesListed {
		t.Errorf("total %d, listed %d, err %v: want 50 counted, %d listed", got.DuplicatesTotal, len(got.Duplicates), err, MaxDuplicatesListed)
	}
}

// stdValue is a document as the engine converted it before decodeJSON: Go
// values decoded with numbers as text, then ast.InterfaceToValue.
func stdValue(data []byte) (ast.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return ast.InterfaceToValue(v)
}

func TestDecodeJSONSameValue(t *testing.T) {
	for _, text := range []string{
		`{"kind": "x", "n": 1.50, "i": 3, "neg": -0, "big": 123456789012345678901234567890, "e": 2E+3}`,
		`{"s": "\u00e9\n\"\\", "u": "\ud83d\ude00", "bad": "` + "\xff\xfe" + `", "empty": ""}`,
		`{"list": [[], {}, null, true, false, [1, [2, [3]]]], "o": {"p": {"q": {}}}}`,
		`{"a": 1, "b": 2, "a": 3}`,
		`{"a": {"x": 1}, "a": {"y": 2}}`,
		largeObject(40, 5),
		`[1, "two", {"three": 3}]`,
		`"just a string"`,
	} {
		want, err := stdValue([]byte(text))
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		got, err := decodeJSON([]byte(text))
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if got.Compare(want) != 0 {
			t.Errorf("%s:\n got %v\nwant %v", text, got, want)
		}
	}
}

// FuzzDecodeJSON: whatever encoding/json decodes and CheckJSON accepts,
// decodeJSON decodes to the same Rego value; what CheckJSON refuses,
// decodeJSON refuses too.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a": 1}`, `{"a": [1, 2.5e3, "x", null], "a": {}}`, `[{"k": true}]`, `{"n": 1e999999999}`, `"\u00e9"`, `{"a":` + strings.Repeat("[", 1001)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		_, checkErr := CheckJSON(data)
		got, err := decodeJSON(data)
		if (checkErr == nil) != (err == nil) {
			t.Fatalf("CheckJSON: %v, decodeJSON: %v", checkErr, err)
		}
		// The decoder reads the text in place: it must not write to it.
		if !bytes.Equal(data, orig) {
			t.Fatalf("the text changed while it was read: %q, was %q", data, orig)
		}
		if err != nil {
			return
		}
		// Again, with the strings the first decode interned.
		if again, err := decodeJSON(data); err != nil || again.Compare(got) != 0 {
			t.Fatalf("second decode: %v, %v; first %v", again, err, got)
		}
		want, err := stdValue(data)
		if err != nil {
			return // encoding/json is stricter nowhere we know of, but only compare what both take
		}
		if got.Compare(want) != 0 {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
}

// TestTruncate: values quoted in error messages are cut by characters,
// never inside one (a cut by bytes left invalid UTF-8 in the message).
func TestTruncate(t *testing.T) {
	long := strings.Repeat("€", 300)
	got := truncate(long)
	if !utf8.ValidString(got) || utf8.RuneCountInString(got) != 201 || !strings.HasSuffix(got, "€…") {
		t.Errorf("truncate of 300 €: %q (%d runes, valid %v)", got, utf8.RuneCountInString(got), utf8.ValidString(got))
	}
	if s := strings.Repeat("x", 201); truncate(s) != s {
		t.Errorf("truncate cut a value of 201 characters")
	}
	// An invalid byte counts as one character and is kept as U+FFFD.
	if got, want := truncate(strings.Repeat("\xff", 300)), strings.Repeat("\uFFFD", 200)+"…"; got != want {
		t.Errorf("truncate of 300 invalid bytes: %q, want %q", got, want)
	}
}

// TestJSONNamesPerObject: the walker reuses the memory of an object's
// names for the next object at the same depth; a name of one object is
// never taken for a duplicate in the next, small or past namesListMax,
// and a real duplicate still is, with the later value winning.
func TestJSONNamesPerObject(t *testing.T) {
	var big strings.Builder
	for i := range namesListMax + 4 {
		fmt.Fprintf(&big, `"k%d": %d, `, i, i)
	}
	for _, tc := range []struct {
		name, doc string
		dups      int
	}{
		{"big then big", `{"a": {` + big.String() + `"z": 0}, "b": {` + big.String() + `"z": 1}}`, 0},
		{"big then small", `{"a": {` + big.String() + `"z": 0}, "b": {"k1": 1, "k2": 2}}`, 0},
		{"nested under big", `{"a": {` + big.String() + `"n": {"k1": {"k1": 1}}}, "b": [{"k1": 1}, {"k1": 2}]}`, 0},
		{"duplicate past the list", `{"a": {` + big.String() + `"k3": "last"}}`, 1},
		{"duplicate in a small sibling", `{"a": {` + big.String() + `"z": 0}, "b": {"k1": 1, "k1": "last"}}`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := CheckJSON([]byte(tc.doc))
			if err != nil || info.DuplicatesTotal != tc.dups {
				t.Fatalf("CheckJSON: %d duplicates, %v; want %d", info.DuplicatesTotal, err, tc.dups)
			}
			got, err := decodeJSON([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			want, err := stdValue([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got.Compare(want) != 0 {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

// TestNamesResetDropsLargeSet: a set that grew past namesReuseMax is
// dropped, not cleared, so that later objects at its depth do not pay for
// clearing it (clear costs what the map grew to).
func TestNamesResetDropsLargeSet(t *testing.T) {
	var n names
	for i := range namesReuseMax + 1 {
		n.add(fmt.Sprint(i), 0, i)
	}
	n.reset()
	if n.set != nil || n.useSet {
		t.Fatalf("after %d names: set kept (%d entries), useSet %v", namesReuseMax+1, len(n.set), n.useSet)
	}
	for i := range namesListMax + 2 {
		if _, dup := n.add(fmt.Sprint(i), 0, i); dup {
			t.Fatalf("name %d taken for a duplicate after reset", i)
		}
	}
	n.reset()
	if n.set == nil {
		t.Fatal("a small set is dropped too: it should be kept for reuse")
	}
}

// TestJSONStringsInterned: strings read by their bytes and interned give
// the values encoding/json gives, escaped or not, valid UTF-8 or not, short
// or long, in one document and in the next one the same cache serves; and
// a cache stops growing at maxInterned, whatever the document.
func TestJSONStringsInterned(t *testing.T) {
	docs := []string{
		`{"name": "root", "mode": "0644", "n\u00e9": "\u00e9", "tab\t": "a\"b", "bad": "x` + "\xff" + `y"}`,
		`{"name": "root", "n\u00e9": "é", "né": 1, "bad": "x` + "\xff" + `y", "long": "` + strings.Repeat("é", 200) + `"}`,
		`{"` + strings.Repeat("k", maxInternedName+1) + `": "` + strings.Repeat("v", maxInternedValue+1) + `", "mode": ["0644", "0644", "root"]}`,
	}
	for round := range 2 {
		for _, doc := range docs {
			got, err := decodeJSON([]byte(doc))
			if err != nil {
				t.Fatalf("round %d: decodeJSON(%q): %v", round, doc, err)
			}
			want, err := stdValue([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if got.Compare(want) != 0 {
				t.Errorf("round %d: decodeJSON(%q) = %v, want %v", round, doc, got, want)
			}
		}
	}

	// A string with escapes is looked up once unquoted: each of its
	// occurrences is one term, as a plain string's are.
	v, err := decodeJSON([]byte(`[{"n\u00e9": "a\u0026b"}, {"n\u00e9": "a\u0026b"}]`))
	if err != nil {
		t.Fatal(err)
	}
	var keys, vals []*ast.Term
	v.(*ast.Array).Foreach(func(o *ast.Term) {
		k := o.Value.(ast.Object).Keys()[0]
		keys, vals = append(keys, k), append(vals, o.Value.(ast.Object).Get(k))
	})
	if keys[0] != keys[1] || vals[0] != vals[1] {
		t.Errorf("an escaped name and value are made anew where they repeat: %v %v", keys, vals)
	}

	var many strings.Builder
	many.WriteString("{")
	for i := range 2 * maxInterned {
		fmt.Fprintf(&many, `"name%d": "value%d", `, i, i)
	}
	many.WriteString(`"last": 0}`)
	w := newJSONWalker([]byte(many.String()), true)
	defer w.release()
	if _, err := w.document(); err != nil {
		t.Fatal(err)
	}
	if len(w.strs) > maxInterned {
		t.Errorf("the string cache grew to %d entries, past maxInterned (%d)", len(w.strs), maxInterned)
	}
}

// TestJSONWalkerKeepsNoLargeScratch: a pooled walker does not keep, for
// every later document, the memory that one large object or one long
// escaped string (a file's text, with its \n) made its scratch grow.
func TestJSONWalkerKeepsNoLargeScratch(t *testing.T) {
	var doc strings.Builder
	doc.WriteString(`{"content": "` + strings.Repeat(`line\n`, maxKeptUnquoted) + `", "big": {`)
	for i := range 2 * maxKeptMembers {
		fmt.Fprintf(&doc, `"k%d": %d, `, i, i)
	}
	doc.WriteString(`"last": 0}}`)
	for _, build := range []bool{false, true} {
		w := newJSONWalker([]byte(doc.String()), build)
		if _, err := w.document(); err != nil {
			t.Fatal(err)
		}
		if cap(w.unquoted) > maxKeptUnquoted {
			t.Errorf("build %v: kept %d bytes of unquoting scratch", build, cap(w.unquoted))
		}
		for depth, sc := range w.objects {
			if cap(sc.kvs) > maxKeptMembers || len(sc.seen.set) > namesReuseMax || cap(sc.seen.list) > 2*namesReuseMax {
				t.Errorf("build %v, depth %d: kept room for %d members, %d names in the set, %d in the list",
					build, depth, cap(sc.kvs), len(sc.seen.set), cap(sc.seen.list))
			}
		}
		w.release()
	}
}

// BenchmarkDecodeJSON reads an 8 KB document of the shape collectors
// write (a list of files, each an object of short names and values), as
// judging does (decode) and as reading a file does (check).
func BenchmarkDecodeJSON(b *testing.B) {
	var doc strings.Builder
	doc.WriteString(`{"schema": "assay.dev/files/v1", "kind": "files", "path": "/etc", "files": [`)
	for i := range 40 {
		if i > 0 {
			doc.WriteString(", ")
		}
		fmt.Fprintf(&doc, `{"path": "/etc/conf.d/file%02d.conf", "mode": "0644", "owner": "root", "group": "root", "size": %d, "attrs": {"immutable": false, "links": 1, "selinux": "system_u:object_r:etc_t:s0"}}`, i, 100*i)
	}
	doc.WriteString(`]}`)
	data := []byte(doc.String())
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := decodeJSON(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := CheckJSON(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
