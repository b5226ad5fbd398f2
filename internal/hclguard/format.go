package hclguard

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format lays src out as hclwrite.Format does, after Scan, and refuses a
// result larger than lim.MaxBytes. hclwrite indents each line by its
// depth and aligns the = of neighbouring lines on the longest key, so its
// output can be far larger than its input: one key a megabyte long makes
// every attribute of the lines around it a megabyte wide. The result is
// written through a bounded writer and never grows beyond the limit.
//
// Format does not check that src parses (ParseSyntax does).
func Format(src []byte, filename string, lim Limits) ([]byte, hcl.Diagnostics) {
	lim = lim.withDefaults()
	if diags := Scan(src, filename, lim); diags.HasErrors() {
		return nil, diags
	}
	// hclwrite.Format is lex, format, write; the same, through a File,
	// writes where we say.
	native, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos)
	tokens := make(hclwrite.Tokens, len(native))
	last := 0
	for i, t := range native {
		tokens[i] = &hclwrite.Token{
			Type:         t.Type,
			Bytes:        t.Bytes,
			SpacesBefore: t.Range.Start.Byte - last,
		}
		last = t.Range.End.Byte
	}
	f := hclwrite.NewEmptyFile()
	f.Body().AppendUnstructuredTokens(tokens)
	out := &boundedBuffer{max: lim.MaxBytes}
	if _, err := f.WriteTo(out); err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Formatted file too large",
				Detail: fmt.Sprintf("Formatted, the file would be larger than %s, the most assay reads: hclwrite indents each line by its depth and aligns each = with the longest name of the attributes around it. Shorten the longest names, or nest less.",
					Size(int64(lim.MaxBytes))),
				Subject: &hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
			}}
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot format", Detail: err.Error()}}
	}
	return out.Bytes(), nil
}

var errTooLarge = errors.New("output too large")

// boundedBuffer is a bytes.Buffer that refuses to grow beyond max.
type boundedBuffer struct {
	bytes.Buffer
	max int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errTooLarge
	}
	return b.Buffer.Write(p)
}
