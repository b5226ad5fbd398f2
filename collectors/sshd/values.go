package sshd

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// atoiErr is sshd's atoi_err(): a decimal 0..INT_MAX, or strtonum's reason.
func atoiErr(s string) (int, string) {
	if s == "" {
		return 0, "missing"
	}
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			if strings.HasPrefix(t, "-") {
				return 0, "too small"
			}
			return 0, "too large"
		}
		return 0, "invalid"
	}
	if n < 0 {
		return 0, "too small"
	}
	if n > math.MaxInt32 {
		return 0, "too large"
	}
	return int(n), ""
}

// convtime is sshd's convtime(): "90", "1h30m", "2W"; at most INT_MAX.
func convtime(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	total := int64(0)
	for s != "" {
		i := 0
		t := strings.TrimLeft(s, " \t\n\v\f\r")
		skip := len(s) - len(t)
		j := 0
		if j < len(t) && (t[j] == '+' || t[j] == '-') {
			j++
		}
		for j < len(t) && t[j] >= '0' && t[j] <= '9' {
			j++
		}
		num := t[:j]
		if num == "" || num == "+" || num == "-" {
			return 0, false
		}
		secs, err := strconv.ParseInt(num, 10, 64)
		if err != nil || secs < 0 || secs >= math.MaxInt32 {
			return 0, false
		}
		i = skip + j
		mult := int64(1)
		if i < len(s) {
			switch s[i] {
			case 's', 'S':
			case 'm', 'M':
				mult = 60
			case 'h', 'H':
				mult = 3600
			case 'd', 'D':
				mult = 86400
			case 'w', 'W':
				mult = 604800
			default:
				return 0, false
			}
			i++
		}
		if secs > math.MaxInt32/mult {
			return 0, false
		}
		secs *= mult
		if total > math.MaxInt32-secs {
			return 0, false
		}
		total += secs
		s = s[i:]
	}
	return int(total), true
}

// scanInts reads up to n colon-separated integers as sscanf("%d:%d:%d")
// does and returns them with the count read.
func scanInts(s string, n int) ([]int, int) {
	var out []int
	for len(out) < n {
		t := strings.TrimLeft(s, " \t\n\v\f\r")
		j := 0
		if j < len(t) && (t[j] == '+' || t[j] == '-') {
			j++
		}
		k := j
		for k < len(t) && t[k] >= '0' && t[k] <= '9' {
			k++
		}
		if k == j {
			break
		}
		v, err := strconv.ParseInt(t[:k], 10, 64)
		if err != nil {
			v = -1
		}
		out = append(out, int(int32(v)))
		s = t[k:]
		if len(out) < n {
			if !strings.HasPrefix(s, ":") {
				break
			}
			s = s[1:]
		}
	}
	return out, len(out)
}

// scanScaled is OpenBSD's scan_scaled(): "1G", "512M", "1.5K" in powers of
// 1024.
func scanScaled(s string) (int64, error) {
	t := strings.TrimLeft(s, " \t")
	neg := false
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") {
		neg = t[0] == '-'
		t = t[1:]
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	whole := t[:i]
	frac := ""
	if i < len(t) && t[i] == '.' {
		j := i + 1
		for j < len(t) && t[j] >= '0' && t[j] <= '9' {
			j++
		}
		frac = t[i+1 : j]
		i = j
	}
	if whole == "" && frac == "" {
		return 0, errInvalidArgument
	}
	unit := t[i:]
	shift := 0
	switch strings.ToUpper(unit) {
	case "", "B":
	case "K":
		shift = 10
	case "M":
		shift = 20
	case "G":
		shift = 30
	case "T":
		shift = 40
	case "P":
		shift = 50
	case "E":
		shift = 60
	default:
		return 0, errInvalidArgument
	}
	w, err := strconv.ParseInt("0"+whole, 10, 64)
	if err != nil {
		return 0, errTooLarge
	}
	if w > math.MaxInt64>>shift {
		return 0, errTooLarge
	}
	v := w << shift
	if frac != "" && shift > 0 {
		f, _ := strconv.ParseFloat("0."+frac, 64)
		v += int64(f * float64(int64(1)<<shift))
	}
	if neg {
		v = -v
	}
	return v, nil
}

// strtolPrefix parses a leading number in base as strtol(3); ok is false when
// the string does not start with a digit.
func strtolPrefix(s string, base int) (int64, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	j := 0
	for j < len(t) && t[j] >= '0' && int(t[j]-'0') < base && t[j] <= '9' {
		j++
	}
	if j == 0 {
		return 0, false
	}
	v, err := strconv.ParseInt(t[:j], base, 64)
	if err != nil {
		v = math.MaxInt64
	}
	if neg {
		v = -v
	}
	return v, true
}

var ipqosNames = []struct {
	name string
	val  int
}{
	{"none", math.MaxInt32}, {"af11", 0x28}, {"af12", 0x30}, {"af13", 0x38}, {"af21", 0x48},
	{"af22", 0x50}, {"af23", 0x58}, {"af31", 0x68}, {"af32", 0x70}, {"af33", 0x78},
	{"af41", 0x88}, {"af42", 0x90}, {"af43", 0x98}, {"cs0", 0}, {"cs1", 0x20}, {"cs2", 0x40},
	{"cs3", 0x60}, {"cs4", 0x80}, {"cs5", 0xa0}, {"cs6", 0xc0}, {"cs7", 0xe0}, {"ef", 0xb8},
	{"le", 0x01}, {"lowdelay", 0x10}, {"throughput", 0x08}, {"reliability", 0x04},
}

// ipqosTable is release v's IPQoS names: "le" from 8.2, "va" from 10.5,
// where the old ToS names are deprecated and mean the system default.
func ipqosTable(v int) []struct {
	name string
	val  int
} {
	var out []struct {
		name string
		val  int
	}
	for _, q := range ipqosNames {
		switch q.name {
		case "le":
			if v < v82 {
				continue
			}
		case "lowdelay", "throughput", "reliability":
			if v >= v105 {
				q.val = math.MaxInt32
			}
		}
		out = append(out, q)
		if q.name == "le" && v >= v105 {
			out = append(out, struct {
				name string
				val  int
			}{"va", 0xb0})
		}
	}
	return out
}

// parseIPQoS is sshd's parse_ipqos(): a name, or a number 0-255 (strtol
// with any base until 9.8, decimal from 9.8).
func (c *config) parseIPQoS(s string) (int, bool) {
	for _, q := range ipqosTable(c.v) {
		if equalFold(s, q.name) {
			return q.val, true
		}
	}
	if s == "" {
		return 0, false
	}
	if c.v >= v98 {
		n, ok := strtonum(s, 0, 255)
		return int(n), ok
	}
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil || v < 0 || v > 255 {
		return 0, false
	}
	return int(v), true
}

// ipqosName is sshd's iptos2str().
func (c *config) ipqosName(v int) string {
	for _, q := range ipqosTable(c.v) {
		if q.val == v {
			return q.name
		}
	}
	return fmt.Sprintf("0x%02x", v)
}

// logLevel returns the name sshd -T prints for a LogLevel word: the first
// name of its level in the build's table (DEBUG1 prints as DEBUG; Debian's
// table knows "SILENT" as QUIET's first name, found by the oracle tests).
func (c *config) logLevel(s string) (string, bool) {
	levels := c.prof.logLevels
	for _, l := range levels {
		if equalFold(s, l) {
			switch l {
			case "DEBUG1":
				return "DEBUG", true
			case "QUIET", "SILENT":
				return levels[0], true
			}
			return l, true
		}
	}
	return "", false
}

var logFacilities = []string{"DAEMON", "USER", "AUTH", "AUTHPRIV", "LOCAL0", "LOCAL1", "LOCAL2", "LOCAL3", "LOCAL4", "LOCAL5", "LOCAL6", "LOCAL7"}

func logFacility(s string) (string, bool) {
	for _, f := range logFacilities {
		if equalFold(s, f) {
			return f, true
		}
	}
	return "", false
}

// validChannelTimeout checks a ChannelTimeout "type=interval" clause.
func validChannelTimeout(v int, s string) bool {
	i := strings.IndexByte(s, '=')
	if i <= 0 {
		return false
	}
	_, ok := convtimeOf(v, s[i+1:])
	return ok
}

var authMethodNames = []string{"none", "publickey", "password", "keyboard-interactive", "hostbased", "gssapi-with-mic"}

// authMethodsValid is sshd's auth2_methods_valid(): every comma-separated
// method known; when enabled is given, every method must be enabled too.
func authMethodsValid(list string, enabled map[string]bool) bool {
	if list == "" {
		return false
	}
	for _, m := range strings.Split(list, ",") {
		name, _, _ := strings.Cut(m, ":")
		known := false
		for _, n := range authMethodNames {
			if n == name {
				known = true
			}
		}
		if !known {
			return false
		}
		if enabled != nil && !enabled[name] {
			return false
		}
	}
	return true
}

// hpdelim is sshd's hpdelim(): split "host:port", "host/port" or
// "[v6]:port"; port is nil when there is none.
func hpdelim(s string) (host string, port *string, ok bool) {
	i := 0
	if strings.HasPrefix(s, "[") {
		j := strings.IndexByte(s, ']')
		if j < 0 {
			return "", nil, false
		}
		i = j + 1
	} else {
		j := strings.IndexAny(s, ":/")
		if j < 0 {
			return s, nil, true
		}
		i = j
	}
	if i >= len(s) {
		return s, nil, true
	}
	if s[i] != ':' && s[i] != '/' {
		return "", nil, false
	}
	p := s[i+1:]
	return s[:i], &p, true
}

// cleanHostname strips the brackets of "[addr]".
func cleanHostname(s string) string {
	if len(s) > 1 && s[0] == '[' && s[len(s)-1] == ']' {
		return s[1 : len(s)-1]
	}
	return s
}

// validPermitPort is sshd's permitopen_port() >= 0.
func validPermitPort(c *config, p string) bool {
	if p == "*" {
		return true
	}
	return c.a2port(p) > 0
}

// sshd reports these with strerror's wording, capitalised; the oracle tests
// compare messages, so they keep it.
var (
	errInvalidArgument = errors.New("Invalid argument") //lint:ignore ST1005 sshd's wording
	errTooLarge        = errors.New("Result too large") //lint:ignore ST1005 sshd's wording
)

// convtimeOf is convtime() as release v has it: 8.0p1 and 8.2p1 keep the
// multiplier of a unit for the numbers after it and wrap to an int; 8.4p1
// resets it; 8.7p1 stops at INT_MAX; 9.8p1 takes digits only; 10.5p1
// takes decimal seconds.
func convtimeOf(v int, s string) (int, bool) {
	switch {
	case v >= v105:
		d, ok := convtimeDouble(s)
		if !ok || d > math.MaxInt32 {
			return 0, false
		}
		return int(d), true
	case v >= v98:
		return convtime100(s)
	case v >= v87:
		return convtime(s)
	default:
		return convtimeLong(s, v >= v84)
	}
}

// convtimeLong is convtime() of 8.0p1-8.4p1: strtol(3) numbers, long
// arithmetic, the result cut to an int by the caller.
func convtimeLong(s string, reset bool) (int, bool) {
	if s == "" {
		return 0, false
	}
	var total int64
	mult := int64(1)
	for s != "" {
		n, rest, ok := strtol(s)
		if !ok || n < 0 {
			return 0, false
		}
		if reset {
			mult = 1
		}
		if rest != "" {
			switch rest[0] {
			case 's', 'S':
			case 'm', 'M':
				mult = 60
			case 'h', 'H':
				mult = 3600
			case 'd', 'D':
				mult = 86400
			case 'w', 'W':
				mult = 604800
			default:
				return 0, false
			}
			rest = rest[1:]
		}
		if n >= math.MaxInt64/mult {
			return 0, false
		}
		n *= mult
		if total >= math.MaxInt64-n {
			return 0, false
		}
		total += n
		s = rest
	}
	r := int(int32(total))
	if r == -1 {
		return 0, false
	}
	return r, true
}

// strtol is strtol(3) in base 10 on a 64-bit long: leading white space,
// a sign, digits; ok is false when there are no digits or it overflows.
func strtol(s string) (int64, string, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	j := 0
	if j < len(t) && (t[j] == '+' || t[j] == '-') {
		j++
	}
	k := j
	for k < len(t) && t[k] >= '0' && t[k] <= '9' {
		k++
	}
	if k == j {
		return 0, s, false
	}
	n, err := strconv.ParseInt(t[:k], 10, 64)
	if err != nil {
		return 0, t[k:], false
	}
	return n, t[k:], true
}

// convtime100 is convtime() of 9.8p1 to 10.0p1: digits only, at most
// INT_MAX.
func convtime100(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	total := int64(0)
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		secs, ok := strtonum(s[:i], 0, math.MaxInt32)
		if !ok {
			return 0, false
		}
		mult := int64(1)
		if i < len(s) {
			switch s[i] {
			case 's', 'S':
			case 'm', 'M':
				mult = 60
			case 'h', 'H':
				mult = 3600
			case 'd', 'D':
				mult = 86400
			case 'w', 'W':
				mult = 604800
			default:
				return 0, false
			}
			i++
		}
		if secs > math.MaxInt32/mult {
			return 0, false
		}
		secs *= mult
		if total > math.MaxInt32-secs {
			return 0, false
		}
		total += secs
		s = s[i:]
	}
	return int(total), true
}

// convtimeDouble is convtime_double() of 10.5p1: decimal numbers, a
// fraction only for seconds, seconds at most once.
func convtimeDouble(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	total := 0.0
	seenSeconds := false
	for s != "" {
		if !(s[0] >= '0' && s[0] <= '9' || s[0] == '.') {
			return 0, false
		}
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		num := s[:i]
		val, err := strconv.ParseFloat(num, 64)
		if err != nil || val < 0 || strings.Count(num, ".") > 1 {
			return 0, false
		}
		mult := 1.0
		unit := byte(0)
		if i < len(s) {
			unit = s[i]
		}
		switch unit {
		case 0, 's', 'S':
			if seenSeconds {
				return 0, false
			}
			seenSeconds = true
		case 'm', 'M':
			mult = 60
		case 'h', 'H':
			mult = 3600
		case 'd', 'D':
			mult = 86400
		case 'w', 'W':
			mult = 604800
		default:
			return 0, false
		}
		if strings.Contains(num, ".") && (mult > 1 || num[len(num)-1] < '0' || num[len(num)-1] > '9') {
			return 0, false
		}
		total += val * mult
		s = s[i:]
		if s != "" {
			s = s[1:]
		}
	}
	return total, true
}

// hpdelimOf is hpdelim(): split "host:port" or "[v6]:port"; port is nil
// when there is none. Every modelled release refuses "host/port".
func hpdelimOf(_ int, s string) (host string, port *string, ok bool) {
	host, port, ok = hpdelim(s)
	if ok && port != nil && len(host) < len(s) && s[len(host)] == '/' {
		return "", nil, false
	}
	return host, port, ok
}

// argvAssemble is argv_assemble(): words joined by spaces, quoted when they
// hold white space, quotes and backslashes escaped.
func argvAssemble(args []string) string {
	var b strings.Builder
	for i, a := range args {
		var arg strings.Builder
		ws := false
		for j := 0; j < len(a); j++ {
			c := a[j]
			switch c {
			case ' ', '\t':
				ws = true
			case '\\', '\'', '"':
				arg.WriteByte('\\')
			}
			arg.WriteByte(c)
		}
		if i != 0 {
			b.WriteByte(' ')
		}
		if ws {
			b.WriteByte('"')
		}
		b.WriteString(arg.String())
		if ws {
			b.WriteByte('"')
		}
	}
	return b.String()
}
