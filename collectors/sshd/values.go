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

// parseIPQoS is sshd's parse_ipqos().
func parseIPQoS(s string) (int, bool) {
	for _, q := range ipqosNames {
		if equalFold(s, q.name) {
			return q.val, true
		}
	}
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil || v < 0 || v > 255 {
		return 0, false
	}
	return int(v), true
}

// ipqosName is sshd's iptos2str().
func ipqosName(v int) string {
	for _, q := range ipqosNames {
		if q.val == v {
			return q.name
		}
	}
	return fmt.Sprintf("0x%02x", v)
}

// logLevels in the order of the table sshd prints from: Debian's build
// knows "SILENT" as QUIET's first name (found by the oracle tests).
var logLevels = []string{"SILENT", "QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3"}

// logLevel returns the name sshd -T prints for a LogLevel word: DEBUG1 is
// the same level as DEBUG and prints as "DEBUG".
func logLevel(s string) (string, bool) {
	for _, l := range logLevels {
		if equalFold(s, l) {
			switch l {
			case "DEBUG1":
				return "DEBUG", true
			case "QUIET":
				return "SILENT", true
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
func validChannelTimeout(s string) bool {
	i := strings.IndexByte(s, '=')
	if i <= 0 {
		return false
	}
	_, ok := convtime(s[i+1:])
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
