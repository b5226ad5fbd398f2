package sshd

import (
	"bufio"
	"embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// The OpenSSH releases the collector models, each checked against its real
// sshd -T (collectors/sshd/oracle/sshd-oracles.sh). Their tables — the
// defaults sshd -T prints for an empty configuration, the algorithms the
// build supports and how it takes every keyword — are recorded from the
// release itself into releases/RELEASE.txt; what a release does with a
// value (parsing, messages, Match, Include) is code, gated on the release.

//go:embed releases
var releaseFiles embed.FS

// releaseNames are the modelled releases, oldest first: those of
// allReleases whose tables are recorded.
var releaseNames = recorded(allReleases)

var allReleases = []string{"8.0p1", "8.2p1", "8.4p1", "8.7p1", "8.9p1", "9.2p1", "9.6p1", "9.9p1", "10.0p1", "10.5p1"}

func recorded(names []string) []string {
	var out []string
	for _, n := range names {
		if _, err := releaseFiles.Open("releases/" + n + ".txt"); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// Release numbers as the code compares them: major*100+minor.
const (
	v82  = 802
	v84  = 804
	v85  = 805
	v87  = 807
	v91  = 901
	v92  = 902
	v96  = 906
	v98  = 908
	v99  = 909
	v100 = 1000
	v105 = 1005
)

var releaseRe = regexp.MustCompile(`^(\d+)\.(\d+)(?:p(\d+))?`)

// releaseNumber is 902 for "9.2p1" (or "9.2", "9.2p2").
func releaseNumber(name string) (int, bool) {
	m := releaseRe.FindStringSubmatch(name)
	if m == nil {
		return 0, false
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return major*100 + minor, true
}

// tables are what a release's own programs say about it.
type tables struct {
	// version is `ssh -V` of the build: "OpenSSH_9.2p1, OpenSSL 3.0.x".
	version string
	// defaults is sshd -T of an empty sshd_config, by lower-case keyword
	// (the values of each printed line).
	defaults map[string][]string
	// names are the keywords as sshd -T prints them (CamelCase from 10.5).
	names map[string]string
	// algos are ssh -Q cipher, mac and kex and the key and signature
	// algorithms sshd accepts ("key", "sig"), in the build's order.
	algos map[string][]string
	// hostKeys are the default HostKey files.
	hostKeys []string
	// keywords is how the build takes each keyword ever modelled.
	keywords map[string]probe
}

// probe is one keyword as a build takes it: "known", "deprecated",
// "unsupported" or "unknown", and whether it is refused in a Match block.
type probe struct {
	status string
	global bool
}

var (
	tablesMu    sync.Mutex
	tablesCache = map[string]*tables{}
)

// releaseTables returns the recorded tables of a release.
func releaseTables(name string) (*tables, error) {
	tablesMu.Lock()
	defer tablesMu.Unlock()
	if t, ok := tablesCache[name]; ok {
		return t, nil
	}
	data, err := releaseFiles.ReadFile("releases/" + name + ".txt")
	if err != nil {
		return nil, fmt.Errorf("no tables for OpenSSH %s: %w", name, err)
	}
	t, err := parseTables(string(data))
	if err != nil {
		return nil, fmt.Errorf("tables of OpenSSH %s: %w", name, err)
	}
	tablesCache[name] = t
	return t, nil
}

// parseTables reads a tables file: "[section]" headers, one entry a line,
// "#" comments.
func parseTables(data string) (*tables, error) {
	t := &tables{defaults: map[string][]string{}, names: map[string]string{}, algos: map[string][]string{}, keywords: map[string]probe{}}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") {
			section = l[1 : len(l)-1]
			continue
		}
		switch section {
		case "version":
			t.version = l
		case "defaults":
			k, v, _ := strings.Cut(l, " ")
			lk := strings.ToLower(k)
			t.names[lk] = k
			t.defaults[lk] = append(t.defaults[lk], v)
		case "cipher", "mac", "kex", "key", "sig":
			t.algos[section] = append(t.algos[section], l)
		case "hostkeys":
			t.hostKeys = append(t.hostKeys, l)
		case "keywords":
			f := strings.Fields(l)
			if len(f) != 3 {
				return nil, fmt.Errorf("bad keyword line %q", l)
			}
			t.keywords[f[0]] = probe{status: f[1], global: f[2] == "global"}
		default:
			return nil, fmt.Errorf("line %q outside a known section", l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if t.version == "" || len(t.defaults) == 0 || len(t.keywords) == 0 {
		return nil, fmt.Errorf("incomplete tables")
	}
	return t, nil
}
