package bundle

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

// TestParamCheck: a param's values are checked strictly: HCL would turn
// "3" into 3, a param does not, so that a quoted number in an overlay is
// an error rather than a silent conversion.
func TestParamCheck(t *testing.T) {
	num := &Param{Name: "n", Type: cty.Number}
	strs := &Param{Name: "l", Type: cty.List(cty.String)}
	nums := &Param{Name: "m", Type: cty.List(cty.Number)}
	obj := &Param{Name: "o", Type: cty.Map(cty.Number)}
	three := &Param{Name: "t", Type: cty.Tuple([]cty.Type{cty.Number, cty.Number, cty.Number})}
	ints := func(ns ...int64) cty.Value {
		var vs []cty.Value
		for _, n := range ns {
			vs = append(vs, cty.NumberIntVal(n))
		}
		return cty.TupleVal(vs)
	}
	for _, tc := range []struct {
		name    string
		p       *Param
		v       cty.Value
		wantErr string
	}{
		{"number", num, cty.NumberIntVal(3), ""},
		{"quoted number", num, cty.StringVal("3"), `"3" is a string, not a number`},
		{"bool for number", num, cty.True, "true is a bool, not a number"},
		{"null", num, cty.NullVal(cty.Number), "null is not a number"},
		{"list", strs, cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}), ""},
		{"empty list", strs, cty.EmptyTupleVal, ""},
		{"string for list", strs, cty.StringVal("a"), `"a" is a string, not a list(string): write a list`},
		{"number in list", strs, cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(3)}), "element 2: 3 is a number, not a string"},
		{"numbers", nums, cty.TupleVal([]cty.Value{cty.NumberIntVal(10), cty.NumberIntVal(30)}), ""},
		{"map", obj, cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(1)}), ""},
		{"tuple", three, ints(10, 30, 60), ""},
		{"tuple too short", three, ints(10, 30), "[10,30] has 2 elements; a tuple([number,number,number]) has 3"},
		{"tuple too long", three, ints(10, 30, 60, 90), "has 4 elements; a tuple([number,number,number]) has 3"},
		{"string for tuple", three, cty.StringVal("10:30:60"), `"10:30:60" is a string, not a tuple([number,number,number]): write a list of 3`},
		{"list for tuple", three, cty.ListVal([]cty.Value{cty.NumberIntVal(10), cty.NumberIntVal(30), cty.NumberIntVal(60)}), "is a list, not a tuple([number,number,number]): write a list of 3"},
		{"string in tuple", three, cty.TupleVal([]cty.Value{cty.NumberIntVal(10), cty.StringVal("30"), cty.NumberIntVal(60)}), `element 2: "30" is a string, not a number`},
		{"map element", obj, cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("1")}), `key "a": "1" is a string, not a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.p.Check(tc.v)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestParamValues: param blocks load in declaration order with their
// defaults, which are what policies read (data.assay.params["BUNDLE"]).
func TestParamValues(t *testing.T) {
	fsys := fstest.MapFS{"bundle.hcl": {Data: []byte(`
bundle "tun" {}
param "max_tries" {
  type        = number
  default     = 4
  description = "Highest tries"
}
param "ciphers" {
  type    = list(string)
  default = ["aes256-ctr"]
}
param "strict" {
  type    = bool
  default = false
}
policy "p" {
  rego = <<-EOT
    package tun.p
    deny contains "x" if data.assay.params.tun.max_tries > 9
  EOT
}
`)}}
	b, diags := testLoadFS(fsys, "tun")
	if diags.HasErrors() {
		t.Fatalf("diagnostics:\n%s", render(t, b.Files, diags))
	}
	var names []string
	for _, p := range b.Params {
		names = append(names, p.Name+":"+p.TypeName())
	}
	if diff := cmp.Diff([]string{"max_tries:number", "ciphers:list(string)", "strict:bool"}, names); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	if p := b.Param("max_tries"); p == nil || p.Description != "Highest tries" || p.Changed() {
		t.Errorf("max_tries: %+v", p)
	}
	got, err := b.ParamValues()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"max_tries": json.Number("4"), "ciphers": []any{"aes256-ctr"}, "strict": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if b.Param("nope") != nil {
		t.Error("Param of an unknown name")
	}
}

// TestParamTextCutsWholeRunes: the messages and docs that quote a long
// value cut it between characters, never inside one.
func TestParamTextCutsWholeRunes(t *testing.T) {
	long := strings.Repeat("a", 39) + strings.Repeat("é", 100)
	_, err := (&Param{Name: "n", Type: cty.Number}).Check(cty.StringVal(long))
	if err == nil || strings.Contains(err.Error(), `\x`) || !strings.Contains(err.Error(), `"`+strings.Repeat("a", 39)+`…"`) {
		t.Errorf("error %v: want the string cut before the é that crosses the limit", err)
	}
	list := cty.ListVal([]cty.Value{cty.StringVal(strings.Repeat("b", 193)), cty.StringVal("éééé")})
	if s := ValueString(list); !utf8.ValidString(s) || !strings.HasSuffix(s, "…") {
		t.Errorf("ValueString = %q: want valid UTF-8, cut", s)
	}
}
