package html

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// segment is a run of text from a report: plain text, or one character that
// must not act on the page (a bidi control, a C0/C1 control) and is shown as
// its code point instead.
type segment struct {
	Text string
	// Ctl marks a neutralised character; Name says what it was.
	Ctl  bool
	Name string
}

// controlNames names the characters that reorder or hide text. A file named
// "invoice\u202Efdp.exe" reads "invoiceexe.pdf" where U+202E acts: the page
// shows "invoice[U+202E]fdp.exe" instead (the Trojan Source attack,
// CVE-2021-42574).
var controlNames = map[rune]string{
	'\u061C': "arabic letter mark",
	'\u200E': "left-to-right mark",
	'\u200F': "right-to-left mark",
	'\u202A': "left-to-right embedding",
	'\u202B': "right-to-left embedding",
	'\u202C': "pop directional formatting",
	'\u202D': "left-to-right override",
	'\u202E': "right-to-left override",
	'\u2066': "left-to-right isolate",
	'\u2067': "right-to-left isolate",
	'\u2068': "first strong isolate",
	'\u2069': "pop directional isolate",
	'\u2028': "line separator",
	'\u2029': "paragraph separator",
	'\uFEFF': "zero width no-break space",
}

// neutralised reports whether r is shown as its code point: the bidi and
// separator characters above, and every control character but tab and
// newline (which evidence lines keep).
func neutralised(r rune) bool {
	if r == '\t' || r == '\n' {
		return false
	}
	_, named := controlNames[r]
	return named || unicode.IsControl(r)
}

// textView is one string of a report as the page shows it.
type textView struct {
	// Isolate wraps the text in <bdi> when it holds right-to-left letters,
	// so they cannot reorder the page's own text around it.
	Isolate  bool
	Segments []segment
}

// text prepares s for the page.
func text(s string) textView {
	return textView{Isolate: strings.ContainsFunc(s, rightToLeft), Segments: segments(s)}
}

// rightToLeft reports whether r belongs to a right-to-left script block
// (Hebrew, Arabic, Syriac, Thaana, NKo and their presentation forms, and
// the right-to-left blocks above the BMP).
func rightToLeft(r rune) bool {
	switch {
	case r < 0x0590:
		return false
	case r <= 0x08FF, r >= 0xFB1D && r <= 0xFDFF, r >= 0xFE70 && r <= 0xFEFF,
		r >= 0x10800 && r <= 0x10FFF, r >= 0x1E800 && r <= 0x1EFFF:
		return true
	}
	return false
}

// segments splits s into plain runs and neutralised characters. Invalid
// UTF-8 becomes U+FFFD, so the page stays valid UTF-8.
func segments(s string) []segment {
	if !strings.ContainsFunc(s, neutralised) && utf8.ValidString(s) {
		return []segment{{Text: s}}
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var out []segment
	start := 0
	for i, r := range s {
		if !neutralised(r) {
			continue
		}
		if start < i {
			out = append(out, segment{Text: s[start:i]})
		}
		name := controlNames[r]
		if name == "" {
			name = "control character"
		}
		out = append(out, segment{Text: fmt.Sprintf("U+%04X", r), Ctl: true, Name: name})
		start = i + utf8.RuneLen(r)
	}
	if start < len(s) {
		out = append(out, segment{Text: s[start:]})
	}
	return out
}
