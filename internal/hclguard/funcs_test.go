package hclguard

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// eval evaluates attribute a of src with the guarded functions and a
// budget of max bytes; file() reads files.
func eval(t *testing.T, src string, max int64, files map[string]string) (cty.Value, hcl.Diagnostics, *Budget) {
	t.Helper()
	f, diags := Parse([]byte(src), "f.hcl", Limits{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b := NewBudget(max, "a test")
	read := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("no such file")
	}
	v, diags := attrs["a"].Expr.Value(NewEvalContext(b, read))
	return v, diags, b
}

func TestFunctionsWithinBudget(t *testing.T) {
	files := map[string]string{"list.txt": "a,b,c\n"}
	tests := []struct {
		src  string
		want cty.Value
	}{
		{`a = format("%s-%05d|%-4s|%.2f|%q|%t|%v", "x", 42, "ab", 3.14159, "q", true, [1])`, cty.StringVal(`x-00042|ab  |3.14|"q"|true|[1]`)},
		{`a = format("%[2]s %[1]s", "a", "b")`, cty.StringVal("b a")},
		{`a = join(", ", ["a", "b"], ["c"])`, cty.StringVal("a, b, c")},
		{`a = replace("aaa", "a", "bb")`, cty.StringVal("bbbbbb")},
		{`a = replace("ab", "", "-")`, cty.StringVal("-a-b-")},
		{`a = split(",", trimspace(file("list.txt")))`, cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b"), cty.StringVal("c")})},
		{`a = upper(lower("MiXed"))`, cty.StringVal("MIXED")},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			v, diags, b := eval(t, tt.src+"\n", 1<<20, files)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if !v.RawEquals(tt.want) {
				t.Errorf("got %#v, want %#v", v, tt.want)
			}
			if b.Remaining() >= 1<<20 {
				t.Error("nothing charged")
			}
		})
	}
}

func TestFunctionsBeyondBudget(t *testing.T) {
	big := strings.Repeat("x", 600<<10)
	files := map[string]string{"big.txt": big, "s.txt": big[:300<<10]}
	nestedReplace := `"x"`
	for range 31 {
		nestedReplace = `replace(` + nestedReplace + `, "x", "xx")`
	}
	tests := []struct {
		name, src string
		fn        string // the refused call
		col       int    // where it starts
	}{
		{"format width", `a = format("%1000000000s", 1)`, "format", 5},
		{"format precision", `a = format("%.1000000000f", 1)`, "format", 5},
		{"format huge number", `a = format("%d", "1e300000000")`, "format", 5},
		{"format quoting", `a = format("%q", file("big.txt"))`, "format", 5},
		{"replace doubling", "a = " + nestedReplace, "replace", 5 + 11*len("replace(")},
		{"replace growth", `a = replace(file("big.txt"), "x", "xx")`, "replace", 5},
		{"join", `a = join(file("big.txt"), ["", "", ""])`, "join", 5},
		{"split", `a = split("", file("big.txt"))`, "split", 5},
		{"file twice", `a = "${file("big.txt")}${file("big.txt")}"`, "file", 26},
		{"case mapping", `a = lower(upper(lower(upper(file("s.txt")))))`, "upper", 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, diags, b := eval(t, tt.src+"\n", 1<<20, files)
			runtime.ReadMemStats(&after)
			if len(diags) != 1 {
				t.Fatalf("got %v", diags)
			}
			d := diags[0]
			if d.Summary != "Error in function call" || !strings.Contains(d.Detail, tt.fn+"(…) would produce") ||
				!strings.Contains(d.Detail, "of the 1 MiB that the function calls of a test may produce") {
				t.Errorf("diagnostic: %s: %s", d.Summary, d.Detail)
			}
			if d.Subject == nil || d.Subject.Filename != "f.hcl" || d.Subject.Start.Column != tt.col {
				t.Errorf("subject %v, want column %d", d.Subject, tt.col)
			}
			if b.Remaining() < 0 {
				t.Errorf("remaining %d", b.Remaining())
			}
			// The refused result was never built: what the evaluation
			// allocated stays near the budget.
			if n := after.TotalAlloc - before.TotalAlloc; n > 32<<20 {
				t.Errorf("allocated %d MiB", n>>20)
			}
		})
	}
}

func TestFormatBoundCoversResult(t *testing.T) {
	// The bound is never below what format really writes.
	for _, src := range []string{
		`a = format("%10.3s|%-8q|%+x|%#v|%e|%g|%o|%b", "abcdef", "z\n", 255, {a = [1, "b"]}, 12345.678, 1e100, 8, 5)`,
		`a = format("%v %v %s", null, "é", 1.5)`,
		`a = format("%%%5t", false)`,
	} {
		v, diags, b := eval(t, src+"\n", 1<<20, nil)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		used := int64(1<<20) - b.Remaining()
		if used != int64(len(v.AsString())) {
			t.Errorf("%s: charged %d for %d bytes", src, used, len(v.AsString()))
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1000000000: "1,000,000,000", -1234: "-1,234"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{2 << 30: "2 GiB", 3 << 29: "1,536 MiB", 16 << 20: "16 MiB", 4 << 10: "4 KiB", 1000: "1,000 bytes"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
