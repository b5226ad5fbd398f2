// Package format lays out bundle files canonically: HCL as hclwrite does
// (terraform fmt, packer fmt), Rego as OPA's formatter does (opa fmt), and
// the Rego of policy heredocs as Rego too. It backs `assay fmt`.
package format

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/open-policy-agent/opa/v1/ast"
	opaformat "github.com/open-policy-agent/opa/v1/format"

	"github.com/assay-dev/assay/internal/hclguard"
	"github.com/assay-dev/assay/internal/safefile"
)

// File formats src by the extension of name: .hcl or .rego. Other files
// come back unchanged. Errors are hcl.Diagnostics for HCL and OPA's
// ast.Errors for Rego, both naming the line.
func File(name string, src []byte) ([]byte, error) {
	switch filepath.Ext(name) {
	case ".hcl":
		return HCL(name, src)
	case ".rego":
		return Rego(name, src)
	}
	return src, nil
}

// Rego formats a Rego module. v1 syntax is assumed; a module that only
// parses as v0 (an older conftest policy) is formatted as v0 and stays v0.
//
// A module nested deeper than 256 brackets is refused: OPA's formatter
// would take minutes over it.
func Rego(name string, src []byte) ([]byte, error) {
	if err := checkRegoDepth(name, src); err != nil {
		return nil, err
	}
	out, err := opaformat.SourceWithOpts(name, src, opaformat.Opts{
		RegoVersion: ast.RegoV1, ParserOptions: &ast.ParserOptions{RegoVersion: ast.RegoV1},
	})
	if err == nil {
		return out, nil
	}
	if out0, err0 := opaformat.SourceWithOpts(name, src, opaformat.Opts{
		RegoVersion: ast.RegoV0, ParserOptions: &ast.ParserOptions{RegoVersion: ast.RegoV0},
	}); err0 == nil {
		return out0, nil
	}
	return nil, err
}

// HCL formats an HCL bundle file. The file must parse: formatting broken
// HCL would only move the mistake. The Rego in policy heredocs
// (rego = <<EOT … EOT) is formatted as Rego when it parses and holds no
// template sequences; otherwise it is left as written.
//
// Parsing and laying out go through hclguard: a file nested too deeply, or
// one whose layout would grow beyond the 16 MiB a bundle file may hold, is
// an error rather than a crash or gigabytes of spaces.
func HCL(name string, src []byte) ([]byte, error) {
	if _, diags := hclguard.ParseSyntax(src, name, hclguard.Limits{}); diags.HasErrors() {
		return nil, diags
	}
	out, diags := hclguard.Format(src, name, hclguard.Limits{})
	if diags.HasErrors() {
		return nil, diags
	}
	withRego, ok := formatHeredocs(name, out)
	if !ok {
		return out, nil
	}
	return withRego, nil
}

// heredoc is the content of one policy's rego heredoc in a file.
type heredoc struct {
	start, end int // byte range of the content lines, markers excluded
	flush      bool
	value      string // the template's value: the Rego
}

func policyHeredocs(name string, src []byte) ([]heredoc, bool) {
	f, diags := hclguard.ParseSyntax(src, name, hclguard.Limits{})
	if diags.HasErrors() {
		return nil, false
	}
	var out []heredoc
	for _, block := range f.Body.(*hclsyntax.Body).Blocks {
		if block.Type != "policy" {
			continue
		}
		attr, ok := block.Body.Attributes["rego"]
		if !ok {
			continue
		}
		t, ok := attr.Expr.(*hclsyntax.TemplateExpr)
		if !ok || len(t.Parts) != 1 {
			continue
		}
		lit, ok := t.Parts[0].(*hclsyntax.LiteralValueExpr)
		r := t.SrcRange
		if !ok || !bytes.HasPrefix(src[r.Start.Byte:], []byte("<<")) {
			continue
		}
		start := lineStart(src, r.Start.Line+1)
		end := lineStart(src, r.End.Line)
		raw := string(src[start:end])
		// Escapes ($${, %%{) make the value differ from the text.
		if strings.Contains(raw, "${") || strings.Contains(raw, "%{") {
			continue
		}
		out = append(out, heredoc{
			start: start, end: end,
			flush: bytes.HasPrefix(src[r.Start.Byte:], []byte("<<-")),
			value: lit.Val.AsString(),
		})
	}
	return out, true
}

// formatHeredocs formats the Rego of policy heredocs. It checks its work by
// parsing the result again: ok is false when any heredoc would not read
// back as the formatted Rego, and the caller keeps the file as it was.
func formatHeredocs(name string, src []byte) ([]byte, bool) {
	docs, ok := policyHeredocs(name, src)
	if !ok || len(docs) == 0 {
		return src, ok
	}
	out := append([]byte(nil), src...)
	var want []string
	for i := len(docs) - 1; i >= 0; i-- {
		d := docs[i]
		formatted, err := Rego(name, []byte(d.value))
		if err != nil {
			want = append(want, d.value)
			continue
		}
		want = append(want, string(formatted))
		text := string(formatted)
		if d.flush {
			text = indent(text, flushIndent(string(src[d.start:d.end])))
		}
		out = append(out[:d.start:d.start], append([]byte(text), out[d.end:]...)...)
	}
	got, ok := policyHeredocs(name, out)
	if !ok || len(got) != len(want) {
		return nil, false
	}
	for i := range got {
		if got[i].value != want[len(want)-1-i] {
			return nil, false
		}
	}
	return out, true
}

// flushIndent is the indentation a <<- heredoc strips: the shortest
// leading whitespace of its non-blank lines.
func flushIndent(raw string) string {
	best := ""
	first := true
	for _, line := range strings.Split(strings.TrimSuffix(raw, "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		ws := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if first || len(ws) < len(best) {
			best, first = ws, false
		}
	}
	return best
}

func indent(text, prefix string) string {
	lines := strings.SplitAfter(text, "\n")
	var b strings.Builder
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			b.WriteString(prefix)
		}
		b.WriteString(l)
	}
	return b.String()
}

func lineStart(src []byte, line int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	return off
}

// Files lists the .hcl and .rego files named by paths: a file as is, a
// directory walked (hidden files and directories skipped), sorted.
func Files(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			if !formattable(p) {
				return nil, fmt.Errorf("%s: not an .hcl or .rego file (archives cannot be formatted in place)", p)
			}
			if !fi.Mode().IsRegular() {
				// A FIFO would block the read, a device never end.
				return nil, fmt.Errorf("%s: not a regular file", p)
			}
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && formattable(path) {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

func formattable(p string) bool {
	ext := filepath.Ext(p)
	return ext == ".hcl" || ext == ".rego"
}

// Path formats the file name, returning its text and the formatted text;
// they are equal when the file is already formatted.
func Path(name string) (src, out []byte, err error) {
	src, err = os.ReadFile(name)
	if err != nil {
		return nil, nil, err
	}
	out, err = File(name, src)
	return src, out, err
}

// Rewrite replaces the file name with out, keeping its permissions. It
// goes through a temporary file: an interrupted fmt never leaves half a
// file.
//
// A name that is a symbolic link is not rewritten: replacing it would
// turn a shared file into a copy, and writing through it would let a link
// in a bundle someone else wrote steer fmt to any file the user can
// write. The error names the target, which the user can format instead.
func Rewrite(name string, out []byte) error {
	fi, err := os.Lstat(name)
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		target, _ := os.Readlink(name)
		return fmt.Errorf("is a symbolic link to %s; not rewritten: run assay fmt on the file it points to", target)
	}
	return safefile.WriteBytes(name, fi.Mode().Perm(), out)
}
