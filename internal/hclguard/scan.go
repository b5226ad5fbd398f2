package hclguard

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// Scan checks src against lim without parsing it, in one pass and constant
// memory: the file's size, its nesting depth and its number of tokens. The
// first limit crossed is an error diagnostic at the place it happens
// (file:line:col), and the scan stops there.
//
// Depth is what makes hclsyntax recurse. Each of these opens one level
// until it closes: a parenthesis, bracket or brace; a ${ } interpolation
// or a %{ } directive; a %{ if } or %{ for } until its %{ endif } or
// %{ endfor }. And each operator of one expression
// adds a level until the expression ends (at a comma, or at a newline in a
// body or an object): hclsyntax nests a + b + c as (a + b) + c, and
// !!!x, x[0][0] and a ? b : c ? d : e the same way. The scan follows HCL's
// lexer modes (code, quoted template, heredoc, comment), so brackets in
// strings, heredocs and comments do not count, and brackets in their
// interpolations do.
func Scan(src []byte, filename string, lim Limits) hcl.Diagnostics {
	lim = lim.withDefaults()
	if len(src) > lim.MaxBytes {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "File too large",
			Detail: fmt.Sprintf("The file is %s bytes; assay reads HCL files of at most %s. Split it into several files.",
				Count(int64(len(src))), Size(int64(lim.MaxBytes))),
			Subject: &hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
		}}
	}
	s := &scanner{src: src, lim: lim, stack: []frame{{kind: fBody}}}
	s.run()
	if s.err == "" {
		return nil
	}
	start := s.position(s.errAt)
	end := start
	if s.errAt < len(src) {
		_, n := utf8.DecodeRune(src[s.errAt:])
		end = hcl.Pos{Line: start.Line, Column: start.Column + 1, Byte: start.Byte + n}
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  s.summary,
		Detail:   s.err,
		Subject:  &hcl.Range{Filename: filename, Start: start, End: end},
	}}
}

type frameKind uint8

const (
	fBody      frameKind = iota // the file, or a block body or object: { }
	fParen                      // ( )
	fBrack                      // [ ]
	fInterp                     // ${ } or %{ }: code inside a template
	fQuote                      // "…": a quoted template
	fHeredoc                    // <<EOT … EOT
	fDirective                  // %{ if } … %{ endif }, %{ for } … %{ endfor }
)

type frame struct {
	kind frameKind
	// ops counts the operators of the current expression of a code frame.
	ops int
	// marker ends a heredoc; lineStart says the heredoc is at the start
	// of a line, where the marker may be.
	marker    []byte
	lineStart bool
	// directive is set on the fInterp of a %{ if } or %{ for } (+1) or
	// of a %{ endif } or %{ endfor } (-1).
	directive int
}

type scanner struct {
	src    []byte
	lim    Limits
	pos    int
	stack  []frame
	depth  int // levels open: frames but the file's, plus their ops
	tokens int
	// value says the last token of code ended a value (a word, a closing
	// bracket or string): a [ after it indexes the value.
	value bool

	summary, err string // the first limit crossed, at byte errAt
	errAt        int
}

func (s *scanner) top() *frame { return &s.stack[len(s.stack)-1] }

func (s *scanner) fail(at int, summary, detail string) {
	if s.err == "" {
		s.summary, s.err, s.errAt = summary, detail, at
	}
}

func (s *scanner) tooDeep(at int) {
	s.fail(at, "Nested too deeply",
		fmt.Sprintf("This opens level %d of nesting; assay reads HCL at most %d levels deep. Each bracket, brace, parenthesis, ${ } or %%{ } sequence and %%{ if } or %%{ for } counts one level until it closes, and so does each operator of one expression. Write the value flatter, or split it into several attributes.",
			s.depth, s.lim.MaxDepth))
}

// token counts a token starting at byte at.
func (s *scanner) token(at int) {
	s.tokens++
	if s.tokens > s.lim.MaxTokens {
		s.fail(at, "File too large",
			fmt.Sprintf("The file holds more than %s tokens (words, numbers, operators, brackets, pieces of strings); assay reads HCL files of at most %s. Split it into several files.",
				Count(int64(s.lim.MaxTokens)), Count(int64(s.lim.MaxTokens))))
	}
}

func (s *scanner) push(f frame, at int) {
	s.stack = append(s.stack, f)
	s.depth += f.levels()
	if s.depth > s.lim.MaxDepth {
		s.tooDeep(at)
	}
}

func (s *scanner) pop() {
	f := s.top()
	s.depth -= f.levels() + f.ops
	s.stack = s.stack[:len(s.stack)-1]
}

// levels is how deep a frame nests by itself: a string or heredoc is a
// level only through its interpolations and directives.
func (f *frame) levels() int {
	if f.kind == fQuote || f.kind == fHeredoc {
		return 0
	}
	return 1
}

// op counts an operator of the current expression.
func (s *scanner) op(at int) {
	s.top().ops++
	s.depth++
	if s.depth > s.lim.MaxDepth {
		s.tooDeep(at)
	}
}

// endExpr ends the current expression of the top frame.
func (s *scanner) endExpr() {
	f := s.top()
	s.depth -= f.ops
	f.ops = 0
}

func (s *scanner) run() {
	for s.pos < len(s.src) && s.err == "" {
		switch s.template() {
		case fQuote:
			s.quoted()
		case fHeredoc:
			s.heredoc()
		default:
			s.code()
		}
	}
}

// template returns the template the scan is in (fQuote, fHeredoc), or
// fBody when it is in code.
func (s *scanner) template() frameKind {
	for i := len(s.stack) - 1; i >= 0; i-- {
		switch k := s.stack[i].kind; k {
		case fDirective:
			continue
		case fQuote, fHeredoc:
			return k
		default:
			return fBody
		}
	}
	return fBody
}

func (s *scanner) at(i int) byte {
	if i < len(s.src) {
		return s.src[i]
	}
	return 0
}

func isWord(c byte) bool {
	return c == '_' || c >= 0x80 || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// code scans one token of code.
func (s *scanner) code() {
	p := s.pos
	c := s.src[p]
	switch {
	case c == ' ' || c == '\t' || c == '\r':
		s.pos++
		return
	case isWord(c):
		// An identifier (HCL's may hold '-') or a number (1.5e-3).
		s.token(p)
		s.value = true
		number := '0' <= c && c <= '9'
		i := p + 1
		for i < len(s.src) {
			d := s.src[i]
			switch {
			case isWord(d):
			case !number && d == '-':
			case number && d == '.' && '0' <= s.at(i+1) && s.at(i+1) <= '9':
			case number && (d == '+' || d == '-') && (s.src[i-1] == 'e' || s.src[i-1] == 'E'):
			default:
				s.pos = i
				return
			}
			i++
		}
		s.pos = i
		return
	}
	s.token(p)
	s.pos = p + 1
	// Newlines and comments keep value: in parentheses x\n[0] indexes x.
	value := s.value
	s.value = false
	switch c {
	case '\n':
		s.value = value
		s.newline()
	case '#':
		s.value = value
		s.lineComment()
	case '/':
		switch s.at(p + 1) {
		case '/':
			s.value = value
			s.lineComment()
		case '*':
			s.value = value
			if end := bytes.Index(s.src[p+2:], []byte("*/")); end >= 0 {
				s.pos = p + 2 + end + 2
			} else {
				s.pos = len(s.src)
			}
		default:
			s.op(p)
		}
	case '"':
		s.push(frame{kind: fQuote}, p)
	case '<':
		if marker, n := heredocIntro(s.src[p:]); n > 0 {
			s.push(frame{kind: fHeredoc, marker: marker, lineStart: true}, p)
			s.pos = p + n
			return
		}
		if s.at(p+1) == '=' {
			s.pos++
		}
		s.op(p)
	case '{':
		s.push(frame{kind: fBody}, p)
	case '}':
		s.value = true
		s.closeBrace()
	case '~':
		if s.at(p+1) == '}' {
			s.pos++
			s.value = true
			s.closeBrace()
		}
	case '(':
		s.push(frame{kind: fParen}, p)
	case '[':
		if value {
			// x[0][0] nests like an operator chain.
			s.op(p)
		}
		s.push(frame{kind: fBrack}, p)
	case ')':
		s.value = true
		if s.top().kind == fParen {
			s.pop()
		}
	case ']':
		s.value = true
		if s.top().kind == fBrack {
			s.pop()
		}
	case ',':
		s.endExpr()
	case '=', '!', '>':
		if s.at(p+1) == '=' {
			s.pos++
		} else if c == '=' {
			return // an assignment
		}
		s.op(p)
	case '&', '|':
		if s.at(p+1) == c {
			s.pos++
		}
		s.op(p)
	case '+', '-', '*', '%', '?', ':', '.':
		s.op(p)
	}
}

func (s *scanner) newline() {
	if s.top().kind == fBody {
		s.endExpr()
	}
}

// lineComment skips to the end of the line; the newline ends it and, as
// HCL's parser reads it, also counts as a newline.
func (s *scanner) lineComment() {
	i := bytes.IndexByte(s.src[s.pos:], '\n')
	if i < 0 {
		s.pos = len(s.src)
		return
	}
	s.pos += i + 1
	s.newline()
}

// closeBrace ends the innermost { } or ${ } (and what is left open in it,
// as HCL's lexer does: it matches braces only).
func (s *scanner) closeBrace() {
	for i := len(s.stack) - 1; i > 0; i-- {
		switch s.stack[i].kind {
		case fParen, fBrack:
			continue
		case fBody, fInterp:
		default:
			return
		}
		directive := s.stack[i].directive
		for len(s.stack) > i {
			s.pop()
		}
		switch {
		case directive > 0:
			s.push(frame{kind: fDirective}, s.pos-1)
		case directive < 0 && s.top().kind == fDirective:
			s.pop()
		}
		return
	}
}

// heredocIntro returns the marker and length of a heredoc introducer,
// <<EOT or <<-EOT and a newline, at the start of b; n is 0 when there is
// none.
func heredocIntro(b []byte) (marker []byte, n int) {
	if len(b) < 3 || b[0] != '<' || b[1] != '<' {
		return nil, 0
	}
	i := 2
	if b[i] == '-' {
		i++
	}
	start := i
	if i >= len(b) || !(isWord(b[i]) && (b[i] < '0' || b[i] > '9')) {
		return nil, 0
	}
	for i < len(b) && (isWord(b[i]) || b[i] == '-') {
		i++
	}
	marker = b[start:i]
	if i < len(b) && b[i] == '\r' {
		i++
	}
	if i >= len(b) || b[i] != '\n' {
		return nil, 0
	}
	return marker, i + 1
}

// sequence scans what starts with '$' or '%' in a template: ${ and %{
// open a sequence, $${ and %%{ are literal text.
func (s *scanner) sequence() {
	p := s.pos
	c := s.src[p]
	switch {
	case s.at(p+1) == '{':
		s.token(p)
		s.pos = p + 2
		if s.at(s.pos) == '~' {
			s.pos++
		}
		f := frame{kind: fInterp}
		if c == '%' {
			f.directive = directiveKind(s.src[s.pos:])
		}
		s.push(f, p)
	case s.at(p+1) == c && s.at(p+2) == '{':
		s.pos = p + 3
	default:
		s.pos = p + 1
	}
}

// directiveKind says whether the directive that b starts opens a level
// (if, for: +1) or closes one (endif, endfor: -1).
func directiveKind(b []byte) int {
	b = bytes.TrimLeft(b, " \t")
	end := 0
	for end < len(b) && isWord(b[end]) {
		end++
	}
	switch string(b[:end]) {
	case "if", "for":
		return 1
	case "endif", "endfor":
		return -1
	}
	return 0
}

// closeTemplate ends the innermost template and its directives left open.
func (s *scanner) closeTemplate() {
	for s.top().kind == fDirective {
		s.pop()
	}
	s.pop()
	s.value = true
}

// quoted scans a piece of a quoted template.
func (s *scanner) quoted() {
	p := s.pos
	switch c := s.src[p]; c {
	case '"':
		s.token(p)
		s.pos++
		s.closeTemplate()
		return
	case '$', '%':
		s.sequence()
		return
	case '\n':
		// HCL's lexer reports it and goes on in the string.
		s.token(p)
		s.pos++
		return
	}
	s.token(p)
	i := p
	for i < len(s.src) {
		switch s.src[i] {
		case '"', '$', '%', '\n':
			s.pos = i
			return
		case '\\':
			if next := s.at(i + 1); next != '\n' && next != '\r' && next != 0 {
				i++
			}
		}
		i++
	}
	s.pos = i
}

// heredoc scans a piece of a heredoc.
func (s *scanner) heredoc() {
	p := s.pos
	var doc *frame
	for i := len(s.stack) - 1; i >= 0; i-- {
		if s.stack[i].kind == fHeredoc {
			doc = &s.stack[i]
			break
		}
	}
	s.token(p)
	if doc.lineStart {
		if nl := bytes.IndexByte(s.src[p:], '\n'); nl >= 0 {
			line := s.src[p : p+nl]
			if !bytes.ContainsAny(line, "$%") && bytes.Equal(bytes.TrimSpace(line), doc.marker) {
				// The newline after the marker is code's.
				s.pos = p + nl
				s.closeTemplate()
				return
			}
		}
	}
	switch s.src[p] {
	case '$', '%':
		doc.lineStart = false
		s.sequence()
		return
	case '\n':
		doc.lineStart = true
		s.pos++
		return
	}
	doc.lineStart = false
	i := p
	for i < len(s.src) && s.src[i] != '$' && s.src[i] != '%' && s.src[i] != '\n' {
		i++
	}
	s.pos = i
}

// position returns the line and column of byte off, as HCL counts them
// (columns in characters).
func (s *scanner) position(off int) hcl.Pos {
	line := 1 + bytes.Count(s.src[:off], []byte("\n"))
	lineStart := bytes.LastIndexByte(s.src[:off], '\n') + 1
	return hcl.Pos{Line: line, Column: 1 + utf8.RuneCount(s.src[lineStart:off]), Byte: off}
}
