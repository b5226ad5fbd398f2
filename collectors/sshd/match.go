package sshd

import (
	"net/netip"
	"strings"
)

// matchPattern is sshd's match_pattern(): '*' and '?' wildcards, whole
// string, case-sensitive.
func matchPattern(s, pat string) bool {
	for {
		if pat == "" {
			return s == ""
		}
		if pat[0] == '*' {
			for len(pat) > 0 && pat[0] == '*' {
				pat = pat[1:]
			}
			if pat == "" {
				return true
			}
			if pat[0] != '?' && pat[0] != '*' {
				for i := 0; i < len(s); i++ {
					if s[i] == pat[0] && matchPattern(s[i+1:], pat[1:]) {
						return true
					}
				}
				return false
			}
			for i := 0; i < len(s); i++ {
				if matchPattern(s[i:], pat) {
					return true
				}
			}
			return false
		}
		if s == "" {
			return false
		}
		if pat[0] != '?' && pat[0] != s[0] {
			return false
		}
		s, pat = s[1:], pat[1:]
	}
}

// matchPatternList is sshd's match_pattern_list(): comma-separated patterns,
// '!' negates. It returns 1 for a positive match, -1 when a negated pattern
// matched (which wins), 0 otherwise. dolower lower-cases the patterns.
func matchPatternList(s, list string, dolower bool) int {
	got := 0
	for _, sub := range strings.Split(list, ",") {
		neg := strings.HasPrefix(sub, "!")
		if neg {
			sub = sub[1:]
		}
		if dolower {
			sub = strings.ToLower(sub)
		}
		if matchPattern(s, sub) {
			if neg {
				return -1
			}
			got = 1
		}
	}
	return got
}

// parseCIDR is sshd's addr_pton_cidr(): 0 ok, -1 not an address, -2 an
// address with an impossible mask or host bits set.
func parseCIDR(s string) (netip.Prefix, int) {
	if len(s) >= 64 {
		return netip.Prefix{}, -1
	}
	a, m, hasMask := strings.Cut(s, "/")
	ip, err := parseAddr(a)
	if err != nil {
		return netip.Prefix{}, -1
	}
	bits := ip.BitLen()
	if hasMask {
		if m == "" || m[0] < '0' || m[0] > '9' {
			return netip.Prefix{}, -1
		}
		n := 0
		for _, c := range m {
			if c < '0' || c > '9' {
				return netip.Prefix{}, -1
			}
			n = n*10 + int(c-'0')
			if n > 1000 {
				break
			}
		}
		if n > 128 {
			return netip.Prefix{}, -1
		}
		bits = n
	}
	if bits > ip.BitLen() {
		return netip.Prefix{}, -2
	}
	pfx := netip.PrefixFrom(ip, bits)
	if pfx.Masked().Addr() != ip {
		return netip.Prefix{}, -2
	}
	return pfx, 0
}

// parseAddr parses a numeric address as getaddrinfo(AI_NUMERICHOST) would,
// including IPv6 scope ids.
func parseAddr(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return ip, err
	}
	return ip.WithZone(""), nil
}

// addrMatchList is sshd's addr_match_list(): 1 matched, 0 not, -1 a negated
// entry matched, -2 the list is malformed. addr may be "" (syntax check).
func addrMatchList(addr, list string) int {
	var try netip.Addr
	if addr != "" {
		var err error
		if try, err = parseAddr(addr); err != nil {
			return 0
		}
	}
	ret := 0
	for _, cp := range strings.Split(list, ",") {
		neg := strings.HasPrefix(cp, "!")
		if neg {
			cp = cp[1:]
		}
		if cp == "" {
			return -2
		}
		pfx, r := parseCIDR(cp)
		found := false
		switch r {
		case -2:
			return -2
		case 0:
			found = addr != "" && try.Is4() == pfx.Addr().Is4() && pfx.Contains(try)
		default:
			found = addr != "" && matchPattern(addr, cp)
		}
		if found {
			if neg {
				return -1
			}
			ret = 1
		}
	}
	return ret
}

// validUserPattern is sshd's check of AllowUsers/DenyUsers patterns: a
// user@host pattern's host part must be a valid address list.
func validUserPattern(p string) bool {
	if i := strings.IndexByte(p, '@'); i >= 0 {
		return addrMatchList("", p[i+1:]) != -2
	}
	return true
}
