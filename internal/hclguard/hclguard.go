// Package hclguard is the one way assay parses HCL: every file goes through
// a cheap pre-scan (size, nesting depth, tokens) before hclsyntax sees it,
// and every expression assay evaluates goes through a static check and an
// evaluation context whose functions share one output budget.
//
// hclsyntax recurses once per level of nesting, and Go cannot recover from
// a stack overflow: `((((…))))` a million deep kills the process. HCL
// evaluation can also make far more than it reads: format("%1000000000s",
// 1), replace() doubling a string thirty times, a for expression over a
// long list, a number literal such as 1e300000000 turned into text. The
// pre-scan, Check and the guarded functions bound each of these; Limits
// says by how much.
//
// A loader of HCL files (bundles, waivers, overlays) calls Parse, then
// evaluates with NewEvalContext. A tool that only rewrites text (assay
// fmt) calls ParseSyntax or Format.
package hclguard

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Defaults of Limits.
const (
	// DefaultMaxBytes is the size of one file, as for any file of a bundle.
	DefaultMaxBytes = 16 << 20
	// DefaultMaxDepth is how deep brackets, templates and the operators of
	// one expression may nest. hclsyntax needs a few kilobytes of stack
	// per level; 256 levels stay far below Go's 1 GB stack limit, and far
	// above what any configuration needs.
	DefaultMaxDepth = 256
	// DefaultMaxTokens bounds the tokens of one file. hclsyntax keeps
	// every token and its syntax tree in memory: parsing a file of a
	// million one-character tokens peaked at 340 MB (measured), and the
	// loader parses files concurrently. Half a million is some megabytes
	// of ordinary HCL.
	DefaultMaxTokens = 500_000
)

// Limits bound what one HCL file may make the parser do. A zero field
// takes its default.
type Limits struct {
	// MaxBytes is the size of the file.
	MaxBytes int
	// MaxDepth is the nesting depth the pre-scan admits (see Scan).
	MaxDepth int
	// MaxTokens is the number of tokens the pre-scan admits.
	MaxTokens int
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxTokens <= 0 {
		l.MaxTokens = DefaultMaxTokens
	}
	return l
}

// ParseSyntax pre-scans src (Scan) and parses it with
// hclsyntax.ParseConfig. It is for tools that never evaluate the file (a
// formatter); a loader calls Parse. When the pre-scan refuses the file,
// the returned File has its Bytes, for rendering the diagnostics, and no
// Body.
func ParseSyntax(src []byte, filename string, lim Limits) (*hcl.File, hcl.Diagnostics) {
	if diags := Scan(src, filename, lim); diags.HasErrors() {
		return &hcl.File{Bytes: src}, diags
	}
	return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
}

// Parse parses a configuration file that will be evaluated: ParseSyntax,
// then Check on its expressions. When diags has errors the File may be
// partial or have no Body; its Bytes are always there.
func Parse(src []byte, filename string, lim Limits) (*hcl.File, hcl.Diagnostics) {
	f, diags := ParseSyntax(src, filename, lim)
	if diags.HasErrors() || f == nil || f.Body == nil {
		return f, diags
	}
	return f, append(diags, Check(f.Body)...)
}
