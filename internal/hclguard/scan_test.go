package hclguard

import (
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// nesters write an attribute nested n levels deep, each in one of the
// ways HCL nests; the scan counts each level of each once.
var nesters = []struct {
	name string
	gen  func(n int) string
}{
	{"parentheses", func(n int) string { return "d = " + strings.Repeat("(", n) + `"x"` + strings.Repeat(")", n) + "\n" }},
	{"calls", func(n int) string {
		return "d = " + strings.Repeat("upper(", n) + `"x"` + strings.Repeat(")", n) + "\n"
	}},
	{"tuples", func(n int) string { return "d = " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n" }},
	{"objects", func(n int) string { return "d = " + strings.Repeat("{a = ", n) + "1" + strings.Repeat("}", n) + "\n" }},
	{"blocks", func(n int) string { return strings.Repeat("a {\n", n) + strings.Repeat("}\n", n) }},
	{"not", func(n int) string { return "d = " + strings.Repeat("!", n) + "true\n" }},
	{"minus", func(n int) string { return "d = " + strings.Repeat("-", n) + "1\n" }},
	{"sum", func(n int) string { return "d = 1" + strings.Repeat(" + 1", n) + "\n" }},
	{"conditionals", func(n int) string { return "d = " + strings.Repeat("true ? 1 : ", n) + "1\n" }},
	{"index", func(n int) string { return "d = [[1]]" + strings.Repeat("[upper(0)]", n) + "\n" }},
	{"splat", func(n int) string { return "d = [1]" + strings.Repeat("[*]", n) + "\n" }},
	{"templates", func(n int) string { return "d = " + strings.Repeat(`"${`, n) + `"x"` + strings.Repeat(`}"`, n) + "\n" }},
	{"template if", func(n int) string {
		return "d = \"" + strings.Repeat(`%{if true}`, n) + "x" + strings.Repeat(`%{endif}`, n) + "\"\n"
	}},
	{"heredocs", func(n int) string {
		return "d = " + strings.Repeat("<<EOT\n${", n) + "1" + strings.Repeat("}\nEOT\n", n)
	}},
	{"for", func(n int) string {
		return "d = " + strings.Repeat("[for x in ", n) + "[1]" + strings.Repeat(" : x]", n) + "\n"
	}},
}

// admitted returns the largest n whose nesting the scan admits.
func admitted(t *testing.T, gen func(int) string, lim Limits) int {
	t.Helper()
	n := 0
	for Scan([]byte(gen(n+1)), "t.hcl", lim) == nil {
		n++
		if n > 10*DefaultMaxDepth {
			t.Fatal("the scan admits any depth")
		}
	}
	return n
}

// TestScanBoundsEveryNesting: every way of nesting is bounded, and
// 100,000 levels of it are refused without parsing.
func TestScanBoundsEveryNesting(t *testing.T) {
	for _, tt := range nesters {
		t.Run(tt.name, func(t *testing.T) {
			n := admitted(t, tt.gen, Limits{})
			if n < DefaultMaxDepth/3 {
				t.Errorf("only %d levels admitted", n)
			}
			src := []byte(tt.gen(n))
			if _, diags := hclsyntax.ParseConfig(src, "t.hcl", hcl.InitialPos); diags.HasErrors() {
				t.Errorf("the deepest admitted file does not parse: %s", diags)
			}
			diags := Scan([]byte(tt.gen(100_000)), "t.hcl", Limits{})
			if !diags.HasErrors() || diags[0].Summary != "Nested too deeply" {
				t.Fatalf("100,000 levels: %v", diags)
			}
		})
	}
}

// TestScanParenthesesBoundary is the limit exactly: 256 parentheses
// parse, the 257th is refused where it opens.
func TestScanParenthesesBoundary(t *testing.T) {
	gen := func(n int) []byte {
		return []byte("# deep\nd = " + strings.Repeat("(", n) + `"x"` + strings.Repeat(")", n) + "\n")
	}
	if diags := Scan(gen(256), "b.hcl", Limits{}); diags.HasErrors() {
		t.Fatalf("256 deep: %s", diags)
	}
	diags := Scan(gen(257), "b.hcl", Limits{})
	if len(diags) != 1 {
		t.Fatalf("257 deep: %v", diags)
	}
	got := diags[0].Subject
	// Line 2, "d = " and 256 parentheses: the 257th is column 261.
	if got.Filename != "b.hcl" || got.Start.Line != 2 || got.Start.Column != 261 || got.Start.Byte != 7+4+256 {
		t.Errorf("error at %s (byte %d), want b.hcl:2,261", got, got.Start.Byte)
	}
	if !strings.Contains(diags[0].Detail, "level 257") || !strings.Contains(diags[0].Detail, "at most 256") {
		t.Errorf("detail: %s", diags[0].Detail)
	}
}

// TestScanModes: brackets in strings, heredocs and comments are text;
// those in their interpolations are code.
func TestScanModes(t *testing.T) {
	deep := strings.Repeat("(", 300)
	tests := []struct {
		name string
		src  string
		ok   bool
	}{
		{"string", `d = "` + deep + `"` + "\n", true},
		{"escaped quote", `d = "\"` + deep + `"` + "\n", true},
		{"escaped interpolation", `d = "$${` + deep + `"` + "\n", true},
		{"escaped directive", `d = "%%{` + deep + `"` + "\n", true},
		{"dollar", `d = "$` + deep + `"` + "\n", true},
		{"hash comment", "# " + deep + "\nd = 1\n", true},
		{"slash comment", "// " + deep + "\nd = 1\n", true},
		{"block comment", "/* " + deep + " */\nd = 1\n", true},
		{"heredoc", "d = <<EOT\n" + deep + "\nEOT\n", true},
		{"indented heredoc", "d = <<-EOT\n  " + deep + "\n  EOT\n", true},
		{"heredoc marker with spaces", "d = <<EOT\n" + deep + "\n  EOT  \ne = 1\n", true},
		{"interpolation", `d = "${` + deep + `}"` + "\n", false},
		{"interpolation in heredoc", "d = <<EOT\n${" + deep + "}\nEOT\n", false},
		{"after a heredoc", "d = <<EOT\nx\nEOT\ne = " + deep + "\n", false},
		{"not a heredoc", "d = 1 <<EOT " + deep + "\n", false},
		{"marker inside a line", "d = <<EOT\nx EOT\n" + deep + "\nEOT\n", true},
		{"string after a newline", "d = \"\n" + deep + "\"\n", true},
		{"after a string", `d = "x" + ` + deep + "\n", false},
		{"after a comment", "/* x */ d = " + deep + "\n", false},
		{"division", "d = 1 / " + deep + "\n", false},
		{"string in interpolation", `d = "${"` + deep + `"}"` + "\n", true},
		{"heredoc in interpolation", "d = \"${<<EOT\n" + deep + "\nEOT\n}\"\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := Scan([]byte(tt.src), "m.hcl", Limits{})
			if diags.HasErrors() == tt.ok {
				t.Errorf("ok = %v, want %v: %v", !diags.HasErrors(), tt.ok, diags)
			}
		})
	}
}

// TestScanExpressionsEnd: operators count per expression; a comma or a
// newline in a body ends one, so long lists and many attributes pass.
func TestScanExpressionsEnd(t *testing.T) {
	tests := []struct {
		name string
		src  string
		ok   bool
	}{
		{"attributes", strings.Repeat("a = 1 + 2\n", 1000), true},
		{"attributes with comments", strings.Repeat("a = 1 + 2 # c\n", 1000), true},
		{"list", "a = [" + strings.Repeat("1 + 2, ", 1000) + "]\n", true},
		{"object lines", "a = {\n" + strings.Repeat("b = 1 + 2\n", 1000) + "}\n", true},
		{"identifiers with dashes", "a = " + strings.Repeat("x-", 1000) + "x\n", true},
		{"traversal", "a = x" + strings.Repeat(".y", 1000) + "\n", false},
		{"sum across lines in parentheses", "a = (1" + strings.Repeat("\n+ 1", 1000) + ")\n", false},
		{"index across lines in parentheses", "a = (x" + strings.Repeat("\n[0]", 1000) + ")\n", false},
		{"comparisons", "a = " + strings.Repeat("1 == ", 1000) + "1\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := Scan([]byte(tt.src), "e.hcl", Limits{})
			if diags.HasErrors() == tt.ok {
				t.Errorf("ok = %v, want %v: %v", !diags.HasErrors(), tt.ok, diags)
			}
		})
	}
}

func TestScanSizeAndTokens(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		lim     Limits
		summary string
		detail  string
	}{
		{"bytes", strings.Repeat("#\n", 600), Limits{MaxBytes: 1024}, "File too large", "1,200 bytes"},
		{"tokens", strings.Repeat("a = 1\n", 100), Limits{MaxTokens: 250}, "File too large", "250 tokens"},
		{"heredoc lines are tokens", "a = <<EOT\n" + strings.Repeat("\n", 300) + "EOT\n", Limits{MaxTokens: 250}, "File too large", "250 tokens"},
		{"within", strings.Repeat("a = 1\n", 10), Limits{MaxBytes: 1024, MaxTokens: 250}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := Scan([]byte(tt.src), "s.hcl", tt.lim)
			if tt.summary == "" {
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Summary != tt.summary || !strings.Contains(diags[0].Detail, tt.detail) {
				t.Fatalf("got %v", diags)
			}
			if s := diags[0].Subject; s == nil || s.Filename != "s.hcl" {
				t.Errorf("subject %v", s)
			}
		})
	}
}

// stackChild is the environment variable under which
// TestDeepestAdmittedFitsSmallStack runs its child.
const stackChild = "HCLGUARD_STACK_CHILD"

// smallStack is the stack the child gets: a sixty-fourth of Go's 1 GB.
// The deepest file the scan admits needs between 1 and 4 MiB in
// hclsyntax, hclwrite and evaluation (measured); beyond smallStack the
// child dies with "stack exceeds limit", which no recover catches.
const smallStack = 16 << 20

// TestDeepestAdmittedFitsSmallStack parses, walks, evaluates and formats
// the deepest file of every kind the scan admits, in a child process
// whose stack is limited to smallStack: what the scan admits stays far
// from Go's stack limit.
func TestDeepestAdmittedFitsSmallStack(t *testing.T) {
	if os.Getenv(stackChild) == "1" {
		debug.SetMaxStack(smallStack)
		for _, tt := range nesters {
			src := []byte(tt.gen(admitted(t, tt.gen, Limits{})))
			f, _ := hclsyntax.ParseConfig(src, "t.hcl", hcl.InitialPos)
			hclsyntax.VisitAll(f.Body.(*hclsyntax.Body), func(hclsyntax.Node) hcl.Diagnostics { return nil })
			ctx := NewEvalContext(NewBudget(1<<20, "a test"), nil)
			attrs, _ := f.Body.JustAttributes()
			for _, a := range attrs {
				var s string
				_ = gohcl.DecodeExpression(a.Expr, ctx, &s)
			}
			_, _ = hclwrite.ParseConfig(src, "t.hcl", hcl.InitialPos)
			_ = hclwrite.Format(src)
			_, _ = Format(src, "t.hcl", Limits{})
			fmt.Println("ok", tt.name)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeepestAdmittedFitsSmallStack$")
	cmd.Env = append(os.Environ(), stackChild+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, tail(out))
	}
	for _, tt := range nesters {
		if !strings.Contains(string(out), "ok "+tt.name+"\n") {
			t.Errorf("child did not get through %s:\n%s", tt.name, tail(out))
		}
	}
}

func tail(b []byte) []byte {
	if len(b) > 4000 {
		return b[:4000]
	}
	return b
}
