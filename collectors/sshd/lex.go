package sshd

import (
	"errors"
	"strings"
)

// whitespace is sshd's WHITESPACE set.
const whitespace = " \t\r\n"

// errQuotes is argvSplit's error for an unterminated quote.
var errQuotes = errors.New("invalid quotes")

// strdelim splits the first token off s as sshd's strdelim() does: tokens end
// at whitespace, a double quote or one '=' (so "Key=value", "Key = value" and
// "Key value" all work), and a double-quoted token may hold spaces. It returns
// the token, the rest (nil when nothing is left) and ok=false when a quote is
// never closed.
func strdelim(s *string) (tok string, rest *string, ok bool) {
	return strdelimInternal(s, true)
}

// strdelimW is strdelimw(): strdelim without '=' as a separator.
func strdelimW(s *string) (tok string, rest *string, ok bool) {
	return strdelimInternal(s, false)
}

func strdelimInternal(s *string, splitEquals bool) (tok string, rest *string, ok bool) {
	if s == nil {
		return "", nil, true
	}
	str := *s
	seps := whitespace + "\""
	if splitEquals {
		seps += "="
	}
	i := strings.IndexAny(str, seps)
	if i < 0 {
		return str, nil, true
	}
	if str[i] == '"' {
		str = str[:i] + str[i+1:]
		j := strings.IndexByte(str[i:], '"')
		if j < 0 {
			return "", nil, false
		}
		j += i
		tok = str[:j]
		r := str[j+1:]
		r = strings.TrimLeft(r, whitespace)
		return tok, &r, true
	}
	wasEquals := str[i] == '='
	tok = str[:i]
	r := strings.TrimLeft(str[i+1:], whitespace)
	if splitEquals && !wasEquals && strings.HasPrefix(r, "=") {
		r = strings.TrimLeft(r[1:], whitespace)
	}
	return tok, &r, true
}

// argvSplit splits a line's arguments as sshd's argv_split(…, 1) does: space
// and tab separate, single or double quotes group, backslash escapes quotes,
// backslashes and (outside quotes) spaces, and a '#' at the start of a token
// ends the line.
func argvSplit(s string) ([]string, error) {
	var out []string
	i := 0
	for i < len(s) {
		if s[i] == ' ' || s[i] == '\t' {
			i++
			continue
		}
		if s[i] == '#' {
			break
		}
		var b strings.Builder
		var quote byte
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\':
				if i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '\\' || (quote == 0 && s[i+1] == ' ')) {
					i++
					b.WriteByte(s[i])
				} else {
					b.WriteByte(c)
				}
				continue
			case quote == 0 && (c == ' ' || c == '\t'):
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
				continue
			case quote != 0 && c == quote:
				quote = 0
				continue
			default:
				b.WriteByte(c)
				continue
			}
			break
		}
		if i >= len(s) && quote != 0 {
			return nil, errQuotes
		}
		out = append(out, b.String())
	}
	return out, nil
}
