package sshd

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/assay-dev/assay/targets"
)

// The release goldens (testdata/releases/BUILD/) are what the real sshd of
// each OpenSSH build printed for the corpus: collectors/sshd/oracle/
// sshd-oracles.sh builds the releases from the openssh-portable source and
// records them (make sshd-oracles OPENSSH_SRC=DIR). TestReleaseGoldens
// compares the collector with them, keyword for keyword, error for error;
// TestLiveReleases (build tag sshdoracle, make sshd-oracles-live) compares
// it with the binaries themselves.
//
// A golden holds, for each connection spec of a case, sshd's exit status,
// its stderr, and its stdout as a difference from defaults.txt (the output
// for an empty sshd_config): "+ line" for every line of a keyword whose
// lines differ, "- keyword" for a keyword that is not printed.

// goldenBuilds are the builds recorded under testdata/releases.
var goldenBuilds = []string{
	"8.0p1", "8.2p1", "8.4p1", "8.7p1", "8.9p1", "9.2p1", "9.6p1", "9.9p1", "9.9p1-nopam", "10.0p1", "10.0p1-nopam", "10.5p1",
}

// run is one sshd -T invocation's outcome.
type run struct {
	spec   string
	rc     int
	stdout string
	stderr string
}

// dump is sshd -T output by keyword (lower case): the lines of each.
type dump map[string][]string

func parseDumpLines(out string) dump {
	d := dump{}
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		k, _, _ := strings.Cut(l, " ")
		k = strings.ToLower(k)
		d[k] = append(d[k], l)
	}
	return d
}

func (d dump) text() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(d)) {
		for _, l := range d[k] {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// decodeGolden reads a golden back into runs.
func decodeGolden(data, defaults string) ([]run, error) {
	def := parseDumpLines(defaults)
	var runs []run
	var cur *run
	var d dump
	var replaced map[string]bool
	finish := func() {
		if cur == nil {
			return
		}
		if cur.rc == 0 {
			cur.stdout = d.text()
		}
		runs = append(runs, *cur)
	}
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "== spec "):
			finish()
			spec := strings.TrimPrefix(l, "== spec ")
			if spec == "(none)" {
				spec = ""
			}
			cur = &run{spec: spec}
			replaced = map[string]bool{}
			d = dump{}
			for k, v := range def {
				d[k] = v
			}
		case cur == nil:
			return nil, fmt.Errorf("%q before the first spec", l)
		case l == "= same":
			prev := runs[len(runs)-1]
			cur.rc, cur.stderr = prev.rc, prev.stderr
			d = parseDumpLines(prev.stdout)
		case strings.HasPrefix(l, "rc "):
			n, err := strconv.Atoi(strings.TrimPrefix(l, "rc "))
			if err != nil {
				return nil, err
			}
			cur.rc = n
		case strings.HasPrefix(l, "! "):
			cur.stderr += l[2:] + "\n"
		case strings.HasPrefix(l, "+ "):
			line := l[2:]
			k, _, _ := strings.Cut(line, " ")
			k = strings.ToLower(k)
			if !replaced[k] {
				d[k], replaced[k] = nil, true
			}
			d[k] = append(d[k], line)
		case strings.HasPrefix(l, "- "):
			delete(d, l[2:])
		default:
			return nil, fmt.Errorf("bad golden line %q", l)
		}
	}
	finish()
	return runs, sc.Err()
}

// buildProfile is the profile of a recorded build: an upstream release,
// with or without PAM/GSSAPI/Kerberos.
func buildProfile(t testing.TB, build string) *profile {
	t.Helper()
	name, variant, _ := strings.Cut(build, "-")
	b := buildFull
	if variant == "nopam" {
		b = buildMinimal
	}
	return mustProfile(t, name, b, distroUpstream)
}

func mustProfile(t testing.TB, release string, b buildOptions, d distro) *profile {
	t.Helper()
	p, err := newProfile(release, b, d)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReleaseGoldens checks the collector against what every recorded
// release's sshd -T printed for every corpus case and connection spec.
func TestReleaseGoldens(t *testing.T) {
	cases := loadCorpus(t)
	for _, build := range goldenBuilds {
		t.Run(build, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata/releases", build)
			defaults, err := os.ReadFile(filepath.Join(dir, "defaults.txt"))
			if err != nil {
				t.Fatalf("%v (record with make sshd-oracles OPENSSH_SRC=DIR)", err)
			}
			prof := buildProfile(t, build)
			for _, c := range cases {
				data, err := os.ReadFile(filepath.Join(dir, c.name+".txt"))
				if err != nil {
					t.Errorf("%s: %v (record with make sshd-oracles OPENSSH_SRC=DIR)", c.name, err)
					continue
				}
				runs, err := decodeGolden(string(data), string(defaults))
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				checkCase(t, c, prof, runs)
			}
		})
	}
}

// checkCase writes a case's tree and compares the collector with the
// recorded runs.
func checkCase(t *testing.T, c corpusCase, prof *profile, runs []run) {
	t.Helper()
	if len(runs) != len(c.allSpecs()) {
		t.Errorf("%s: %d recorded runs for %d specs: record again", c.name, len(runs), len(c.allSpecs()))
		return
	}
	checkCaseRuns(t, c, writeTree(t, c.files), prof, runs)
}

// checkCaseRuns evaluates the case's tree at root for every run's spec, as
// sshd was run (-h oracleHostKey unless the case brings its own keys; stop
// at the first fatal error), and compares.
func checkCaseRuns(t *testing.T, c corpusCase, root string, prof *profile, runs []run) {
	t.Helper()
	tgt, err := targets.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	opts := evalOptions{stopAtFatal: true}
	if !c.ownKeys {
		opts.hostKeys = []string{oracleHostKey}
	}
	for _, r := range runs {
		ci, err := parseSpec(r.spec)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := evaluateWith(tgt, DefaultPath, ci, prof, opts)
		if err != nil {
			t.Errorf("%s: spec %q: %v", c.name, r.spec, err)
			continue
		}
		label := c.name + ": " + r.spec
		if r.spec == "" {
			label = c.name + ": (no -C)"
		}
		checkAgainst(t, label, doc, r)
	}
}
