package hclguard

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name, src string
		summary   string // "" when accepted
	}{
		{"literals", "a = 1\nb = \"x\"\nc = [true, null, 1.5e300, -2]\nd = {k = \"v\"}\n", ""},
		{"references and calls", "input = [collect.file.main]\nd = upper(\"x\")\ne = true ? \"a\" : \"b\"\n", ""},
		{"arithmetic on literals", "a = 64 * 1024 * 1024\nb = -(1 + 2) % 3\n", ""},
		{"arithmetic on a bool is left to evaluation", "a = 42 + true\n", ""},
		{"template if", "a = \"%{if true}x%{else}y%{endif}\"\n", ""},
		{"for", "a = [for x in [1, 2] : x]\n", "For expressions are not supported"},
		{"for object", "a = {for k, v in {a = 1} : k => v}\n", "For expressions are not supported"},
		{"template for", "a = \"%{for x in [1]}${x}%{endfor}\"\n", "For expressions are not supported"},
		{"huge number", "a = 1e300000000\n", "Number out of range"},
		{"tiny number", "a = 1e-300000000\n", "Number out of range"},
		{"huge product", "a = \"${1e300 * 1e300}\"\n", "Number out of range"},
		{"huge number in arithmetic", "a = 1e300000000 % 7\n", "Number out of range"},
		{"string arithmetic", "a = \"1e300000000\" * 1\n", "Unsupported arithmetic"},
		{"string negation", "a = -\"1e300000000\"\n", "Unsupported arithmetic"},
		{"function arithmetic", "a = upper(\"1\") + 1\n", "Unsupported arithmetic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Parse([]byte(tt.src), "c.hcl", Limits{})
			if tt.summary == "" {
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Summary != tt.summary {
				t.Fatalf("got %v, want one %q", diags, tt.summary)
			}
			if s := diags[0].Subject; s == nil || s.Filename != "c.hcl" || s.Start.Line != 1 {
				t.Errorf("subject %v", s)
			}
		})
	}
}

// TestCheckSubjectIsTheExpression: a refused chain is one error, at the
// whole expression.
func TestCheckSubjectIsTheExpression(t *testing.T) {
	_, diags := Parse([]byte("a = \"x\" * 1 * 1 * 1\n"), "c.hcl", Limits{})
	if len(diags) != 1 {
		t.Fatalf("got %d diagnostics: %v", len(diags), diags)
	}
	if s := diags[0].Subject; s.Start.Column != 5 || s.End.Column != 20 {
		t.Errorf("subject %s", s)
	}
}

func TestParseRefusedKeepsBytes(t *testing.T) {
	src := []byte("a = " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300) + "\n")
	f, diags := Parse(src, "p.hcl", Limits{})
	if !diags.HasErrors() || f == nil || string(f.Bytes) != string(src) || f.Body != nil {
		t.Fatalf("file %v, diags %v", f, diags)
	}
}
