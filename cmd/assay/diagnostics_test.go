package main

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

func TestWriteSnippet(t *testing.T) {
	noPaint := func(_, s string) string { return s }
	rng := func(line, col, endCol int) hcl.Range {
		return hcl.Range{Start: hcl.Pos{Line: line, Column: col}, End: hcl.Pos{Line: line, Column: endCol}}
	}
	long := strings.Repeat("a", 500) + "BAD" + strings.Repeat("b", 500)
	tests := []struct {
		name string
		src  string
		rng  hcl.Range
		want string
	}{{
		name: "plain",
		src:  "x = 1\nseverity = \"severe\"\n",
		rng:  rng(2, 12, 20),
		want: "    2 | severity = \"severe\"\n      |            ^^^^^^^^\n",
	}, {
		name: "tabs become spaces",
		src:  "\tx = y",
		rng:  rng(1, 6, 7),
		want: "    1 |  x = y\n      |      ^\n",
	}, {
		name: "escape sequences and binary are never printed",
		src:  "a\x1b[2Jb\xff\x00c",
		rng:  rng(1, 1, 2),
		want: "    1 | a\uFFFD[2Jb\uFFFD\uFFFDc\n      | ^\n",
	}, {
		name: "a long line shows a window around the subject",
		src:  long,
		rng:  rng(1, 501, 504),
		want: "    1 | …" + strings.Repeat("a", maxSnippet/4) + "BAD" + strings.Repeat("b", maxSnippet-maxSnippet/4-3) + "…\n" +
			"      | " + strings.Repeat(" ", maxSnippet/4+1) + "^^^\n",
	}, {
		name: "a long line whose subject is at its start",
		src:  long,
		rng:  rng(1, 1, 2),
		want: "    1 | " + strings.Repeat("a", maxSnippet) + "…\n      | ^\n",
	}, {
		name: "line out of range prints nothing",
		src:  "x",
		rng:  rng(5, 1, 2),
		want: "",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			writeSnippet(&buf, []byte(tt.src), tt.rng, noPaint)
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			for _, line := range strings.Split(buf.String(), "\n") {
				if n := utf8.RuneCountInString(line); n > maxSnippet+10 {
					t.Errorf("line of %d characters printed", n)
				}
			}
		})
	}
}
