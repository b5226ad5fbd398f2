package mig

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// randomInvestigation writes a random tree of home directories under root
// and returns a MIG action with one search per user, drawn from seed. The
// searches vary in everything the compact shape must reproduce: paths (the
// .ssh directory with or without a slash, the home directory, a second
// path elsewhere), maxdepth (unset, 1 to 3), mismatch or not, one or two
// content regexes (an allow-list of keys with options, comments and blank
// lines; an inverted deny-list; a regex of no digestible form), and two
// classes of name regexes. A few searches do not fit the compact shape (not
// macroal, a path inside another search's, a size criterion) and stay per
// search beside the compact ones. Files hold allowed keys, rogue keys, keys
// that extend an allowed one, comments, blank and whitespace lines, CRLF,
// invalid UTF-8 in comments, files below and above each maxdepth, empty
// files, and links that are not followed.
func randomInvestigation(t *testing.T, seed uint64, root string) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 17))
	write := func(p, body string) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	type key struct{ prefix, comment string }
	newKey := func(user string, i int) key {
		blob := make([]byte, 32+rng.IntN(2)*480)
		for j := range blob {
			blob[j] = byte(rng.Uint32())
		}
		typ := "ssh-ed25519"
		if len(blob) > 32 {
			typ = "ssh-rsa"
		}
		p := typ + " " + base64.StdEncoding.EncodeToString(blob)
		switch rng.IntN(6) {
		case 0:
			p = fmt.Sprintf(`from="10.%d.0.0/16",no-pty %s`, rng.IntN(256), p)
		case 1:
			p = "no-port-forwarding,command=\"/bin/echo (x|y)*?\" " + p
		}
		return key{p, fmt.Sprintf("%s@host%d", user, i)}
	}
	users := 8 + rng.IntN(20)
	searches := map[string]any{}
	for u := range users {
		user := fmt.Sprintf("u%02d", u)
		home := "/home/" + user
		keys := make([]key, 1+rng.IntN(3))
		for i := range keys {
			keys[i] = newKey(user, i)
		}
		allow := []string{`(#.*)`, `(\s*)`}
		for _, k := range keys {
			allow = append(allow, "("+regexp.QuoteMeta(k.prefix)+" .*)")
		}
		contents := []string{"^(" + strings.Join(allow, "|") + ")$"}
		switch rng.IntN(6) {
		case 0:
			contents = append(contents, "!^.*(mallory|eve).*$")
		case 1:
			contents = append(contents, `^[^\t]*$`) // no tabs: a regex kept whole
		}
		// The file's lines: allowed ones, sometimes a bad one.
		lines := func(bad bool) string {
			var ls []string
			for range 1 + rng.IntN(4) {
				switch rng.IntN(7) {
				case 0:
					ls = append(ls, "# managed")
				case 1:
					ls = append(ls, "")
				case 2:
					ls = append(ls, "  \t ")
				case 3:
					ls = append(ls, "# caf\xe9 \xff") // invalid UTF-8 that a literal decides
				default:
					k := keys[rng.IntN(len(keys))]
					ls = append(ls, k.prefix+" "+k.comment)
				}
			}
			if bad {
				var rogue string
				switch rng.IntN(5) {
				case 0:
					rogue = keys[0].prefix + "X " + "mallory@evil" // extends an allowed key
				case 1:
					rogue = keys[0].prefix + " eve@laptop" // allowed by the first, denied by the second regex, if any
				case 2:
					rogue = keys[0].prefix + " tab\there"
				case 3:
					rogue = " " + keys[0].prefix + " leading space"
				default:
					rogue = newKey("mallory", 0).prefix + " mallory@evil"
				}
				at := rng.IntN(len(ls) + 1)
				ls = slices.Insert(ls, at, rogue)
			}
			eol := "\n"
			if rng.IntN(5) == 0 {
				eol = "\r\n"
			}
			body := strings.Join(ls, eol)
			if rng.IntN(4) > 0 {
				body += eol
			}
			return body
		}
		if rng.IntN(10) > 0 {
			write(home+"/.ssh/authorized_keys", lines(rng.IntN(3) == 0))
		}
		if rng.IntN(3) == 0 {
			write(home+"/.ssh/authorized_keys2", lines(rng.IntN(2) == 0))
		}
		if rng.IntN(4) == 0 {
			write(home+"/.ssh/old/authorized_keys", lines(true)) // depth 2
		}
		if rng.IntN(5) == 0 {
			write(home+"/authorized_keys", lines(true)) // in the home directory itself
		}
		if rng.IntN(6) == 0 {
			write(home+"/.ssh/a/b/authorized_keys2", lines(true)) // depth 3
		}
		if rng.IntN(8) == 0 {
			write(home+"/.ssh/authorized_keys.bak", lines(true)) // no name match
		}
		if rng.IntN(8) == 0 {
			write(home+"/.ssh/authorized_keys", "") // empty
		}
		if rng.IntN(8) == 0 {
			if err := os.MkdirAll(filepath.Join(root, home, ".ssh"), 0o700); err != nil {
				t.Fatal(err)
			}
			_ = os.Remove(filepath.Join(root, home, ".ssh/authorized_keys2"))
			if err := os.Symlink("/etc/passwd", filepath.Join(root, home, ".ssh/authorized_keys2")); err != nil {
				t.Fatal(err)
			}
		}
		write(home+"/.ssh/known_hosts", "host ssh-ed25519 AAAA\n")

		var paths []string
		switch rng.IntN(5) {
		case 0:
			paths = []string{home + "/.ssh"}
		case 1:
			paths = []string{home}
		case 2:
			paths = []string{home + "/.ssh/", "/srv/" + user + "/keys"}
			write("/srv/"+user+"/keys/authorized_keys", lines(rng.IntN(2) == 0))
		default:
			paths = []string{home + "/.ssh/"}
		}
		options := map[string]any{"macroal": true, "matchall": true}
		if d := rng.IntN(4); d > 0 {
			options["maxdepth"] = d
		}
		if rng.IntN(5) > 0 {
			options["mismatch"] = []string{"content"}
		}
		names := []string{"^authorized_keys2?$"}
		if rng.IntN(4) == 0 {
			names = []string{"^authorized_keys$"}
		}
		search := map[string]any{"paths": paths, "names": names, "contents": contents, "options": options}
		switch rng.IntN(12) {
		case 0:
			options["macroal"] = false // any line decides: per search
		case 1:
			search["sizes"] = []string{"<10k"} // another criterion: per search
		}
		searches[fmt.Sprintf("%s's keys", user)] = search
	}
	// A search over a path inside another's: both stay per search.
	searches["all of u00"] = map[string]any{"paths": []string{"/home/u00/.ssh/old"}, "names": []string{"^authorized_keys2?$"},
		"contents": []string{`^(#.*)$`}, "options": map[string]any{"macroal": true, "matchall": true, "mismatch": []string{"content"}}}
	action, err := json.Marshal(map[string]any{"name": "random keys", "syntaxversion": 2, "threat": map[string]any{"level": "high"},
		"operations": []any{map[string]any{"module": "file", "parameters": map[string]any{"searches": searches}}}})
	if err != nil {
		t.Fatal(err)
	}
	return action
}

// outcome is what a scan reports, as the user reads it: each finding with
// its kind, path, line and message (which names the MIG search), and the
// policies that failed to evaluate.
type outcome struct {
	Findings []string
	Errors   []string
}

func scanOutcome(t *testing.T, dir, root string) outcome {
	t.Helper()
	r, err := scanDir(t, dir, root).Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var o outcome
	for _, f := range r.Findings {
		o.Findings = append(o.Findings, fmt.Sprintf("%s %s:%d %s", f.Kind, f.Path, f.Line, f.Message))
	}
	for _, p := range r.Policies {
		if p.Status == "error" {
			o.Errors = append(o.Errors, p.ID)
		}
	}
	slices.Sort(o.Findings)
	return o
}

// TestCompactMatchesPerSearch: on random trees and investigations, the
// compact shape reports exactly what the per-search shape reports, finding
// for finding (path, line, kind, message naming the search).
func TestCompactMatchesPerSearch(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "rootfs")
			action := randomInvestigation(t, seed, root)
			perBundle, perDir := convertDir(t, action, "keys", PerSearch)
			compactBundle, compactDir := convertDir(t, action, "keys", Compact)
			if _, ok := compactBundle.Files[compactRegoFile]; !ok {
				t.Fatalf("no compact module: files %v", slices.Sorted(maps.Keys(compactBundle.Files)))
			}
			if _, ok := compactBundle.Files[RegoFile]; !ok {
				t.Errorf("the searches that do not fit lost their per-search module: files %v", slices.Sorted(maps.Keys(compactBundle.Files)))
			}
			if len(perBundle.Files) == 0 {
				t.Fatal("empty per-search bundle")
			}
			if n, all := compactSearches(t, compactBundle), strings.Count(string(action), `"paths"`); n < all/2 {
				t.Fatalf("%d of %d searches written compact: the comparison covers too little of it", n, all)
			}
			want := scanOutcome(t, perDir, root)
			got := scanOutcome(t, compactDir, root)
			if len(want.Findings) == 0 {
				t.Fatal("the random tree drew no finding: the comparison proves nothing")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("compact shape differs from per-search (-per-search +compact):\n%s", diff)
			}
		})
	}
}

// compactSearches counts the searches in the compact shape's data files.
func compactSearches(t *testing.T, b *Bundle) int {
	t.Helper()
	n := 0
	for name, data := range b.Files {
		if !strings.HasPrefix(name, "data/") {
			continue
		}
		var part struct{ Searches map[string]any }
		if err := json.Unmarshal(data, &part); err != nil {
			t.Fatal(err)
		}
		n += len(part.Searches)
	}
	return n
}

// TestCompactUnknown: where the captured lines cannot settle a search's
// outcome, the compact shape says so in a finding, never passes the file
// silently, while the per-search shape judges it.
func TestCompactUnknown(t *testing.T) {
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey"
	tests := []struct {
		name, content, file string
		want                []string // compact findings
	}{{
		name:    "a run of invalid bytes where a counting regex decides",
		content: `^((#.*)|(x.x)|(` + regexp.QuoteMeta(key) + ` .*))$`,
		file:    "# ok\nx\xff\xfex\n" + key + " a@b\n",
		want:    []string{`deny /home/a/.ssh/authorized_keys:0 /home/a/.ssh/authorized_keys: MIG search "a" cannot be judged from its captured lines (line 2 held invalid UTF-8); import it with --shape per-search to judge it`},
	}, {
		name:    "invalid bytes where .* decides are judged",
		content: `^((#.*)|(x.*x)|(` + regexp.QuoteMeta(key) + ` .*))$`,
		file:    "# ok\nx\xff\xfex\nrogue\n",
		want:    []string{`deny /home/a/.ssh/authorized_keys:3 /home/a/.ssh/authorized_keys matches MIG search "a"`},
	}, {
		name:    "a file larger than the capture",
		content: `^((#.*)|(` + regexp.QuoteMeta(key) + ` .*))$`,
		file:    strings.Repeat("# a comment line of some length, allowed by the search\n", 20000) + "rogue\n",
		want:    []string{`deny /home/a/.ssh/authorized_keys:0 /home/a/.ssh/authorized_keys: MIG search "a" cannot be judged from its captured lines (the file is larger than the 1 MiB captured); import it with --shape per-search to judge it`},
	}, {
		name:    "a bad line within the capture decides",
		content: `^((#.*)|(` + regexp.QuoteMeta(key) + ` .*))$`,
		file:    "rogue\n" + strings.Repeat("# a comment line of some length, allowed by the search\n", 20000),
		want:    []string{`deny /home/a/.ssh/authorized_keys:1 /home/a/.ssh/authorized_keys matches MIG search "a"`},
	}, {
		// Deciding took time quadratic in the failing lines: this file
		// (120 KB) made the policy time out, with no finding.
		name:    "many failing lines are judged in one pass",
		content: `^((#.*)|(` + regexp.QuoteMeta(key) + ` .*))$`,
		file:    strings.Repeat("rogue\n", 20000),
		want:    []string{`deny /home/a/.ssh/authorized_keys:1 /home/a/.ssh/authorized_keys matches MIG search "a"`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "rootfs")
			if err := os.MkdirAll(filepath.Join(root, "home/a/.ssh"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "home/a/.ssh/authorized_keys"), []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			action, err := json.Marshal(map[string]any{"name": "k", "operations": []any{map[string]any{"module": "file", "parameters": map[string]any{
				"searches": map[string]any{"a": map[string]any{"paths": []string{"/home/a/.ssh"}, "names": []string{"^authorized_keys$"},
					"contents": []string{tt.content},
					"options":  map[string]any{"macroal": true, "matchall": true, "mismatch": []string{"content"}}}}}}}})
			if err != nil {
				t.Fatal(err)
			}
			_, dir := convertDir(t, action, "k", Compact)
			got := scanOutcome(t, dir, root)
			if diff := cmp.Diff(outcome{Findings: tt.want}, got); diff != "" {
				t.Errorf("compact findings (-want +got):\n%s", diff)
			}
		})
	}
}
