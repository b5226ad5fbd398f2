// Command miggen writes a MIG authorized_keys investigation as real users
// have them, for bench/mig.sh: a root filesystem of N home directories,
// the MIG action with one search per user whose content allow-list holds
// that user's own keys, and the ground truth, what MIG's semantics report
// on that tree, known from how the tree was built rather than from running
// any matcher. It is a benchmark harness only, not part of assay.
//
//	miggen N ROOT ACTION TRUTH
//
// Each user has 1 to 3 keys, ed25519 (about 70%) or RSA-4096 (716 base64
// characters), some with options (from="10.1.2.0/24",no-pty), behind a
// comment line; the search allows exactly those lines, comments and blank
// lines, as the MIG documentation's investigation does. One user in 100 has
// a rogue key at a random line, one in 50 an authorized_keys2 (one in ten of
// those rogue), one in 200 an authorized_keys2 that is a symbolic link
// (reported as not inspected), one in 20 no .ssh at all; every .ssh holds a
// known_hosts and an id_ed25519.pub, and some an old/authorized_keys below
// maxdepth that must not be reported. Some lines end in CRLF. Everything is
// drawn from a fixed seed.
//
// TRUTH lists one finding a line: "deny PATH LINE" (the first line that is
// not allowed) or "warn PATH 0" (a link not followed), tab-separated,
// sorted.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: miggen N ROOT ACTION TRUTH")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err == nil {
		err = generate(n, os.Args[2], os.Args[3], os.Args[4])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "miggen:", err)
		os.Exit(1)
	}
}

// key is one public key line's parts.
type key struct{ options, typ, blob, comment string }

// prefix is what an allow-list names: the line up to the comment.
func (k key) prefix() string {
	p := k.typ + " " + k.blob
	if k.options != "" {
		p = k.options + " " + p
	}
	return p
}

func (k key) line() string { return k.prefix() + " " + k.comment }

func newKey(rng *rand.Rand, user string, i int) key {
	k := key{comment: fmt.Sprintf("%s@host%d", user, i)}
	if rng.IntN(10) < 7 {
		k.typ = "ssh-ed25519"
		k.blob = base64.StdEncoding.EncodeToString(append(sshString([]byte("ssh-ed25519")), sshString(randomBytes(rng, 32))...))
	} else {
		k.typ = "ssh-rsa"
		modulus := append([]byte{0}, randomBytes(rng, 512)...)
		modulus[1] |= 0x80
		blob := append(sshString([]byte("ssh-rsa")), sshString([]byte{1, 0, 1})...)
		k.blob = base64.StdEncoding.EncodeToString(append(blob, sshString(modulus)...))
	}
	switch rng.IntN(10) {
	case 0:
		k.options = fmt.Sprintf(`from="10.%d.%d.0/24",no-pty`, rng.IntN(256), rng.IntN(256))
	case 1:
		k.options = "no-port-forwarding,no-agent-forwarding,no-X11-forwarding"
	}
	return k
}

func sshString(b []byte) []byte {
	return append([]byte{byte(len(b) >> 24), byte(len(b) >> 16), byte(len(b) >> 8), byte(len(b))}, b...)
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// allowList is the MIG content regex that allows the keys, comments and
// blank lines.
func allowList(keys []key) string {
	branches := []string{`(#.*)`, `(\s*)`}
	for _, k := range keys {
		branches = append(branches, "("+regexp.QuoteMeta(k.prefix())+" .*)")
	}
	return "^(" + strings.Join(branches, "|") + ")$"
}

func generate(n int, root, actionPath, truthPath string) error {
	rng := rand.New(rand.NewPCG(2026, 17))
	var truth []string
	searches := map[string]any{}
	write := func(p, body string) error {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		return os.WriteFile(p, []byte(body), 0o600)
	}
	eol := func() string {
		if rng.IntN(50) == 0 {
			return "\r\n"
		}
		return "\n"
	}
	// file writes lines, with a rogue key at a random line when rogue is
	// set, and returns the text and the rogue line (0: none).
	file := func(user string, keys []key, rogue bool) (string, int) {
		lines := []string{"# " + user + ": managed by config management"}
		for _, k := range keys {
			if rng.IntN(4) == 0 {
				lines = append(lines, "")
			}
			lines = append(lines, k.line())
		}
		bad := 0
		if rogue {
			bad = 1 + rng.IntN(len(lines)+1)
			r := newKey(rng, "mallory", 0)
			lines = append(lines[:bad-1], append([]string{r.line()}, lines[bad-1:]...)...)
		}
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(l + eol())
		}
		return b.String(), bad
	}
	for i := range n {
		user := fmt.Sprintf("user%05d", i)
		keys := make([]key, 1+rng.IntN(3))
		for j := range keys {
			keys[j] = newKey(rng, user, j)
		}
		searches[user] = map[string]any{
			"description": user + "'s authorized_keys hold only the approved keys",
			"paths":       []string{"/home/" + user + "/.ssh/"},
			"names":       []string{"^authorized_keys2?$"},
			"contents":    []string{allowList(keys)},
			"options":     map[string]any{"macroal": true, "matchall": true, "maxdepth": 1, "mismatch": []string{"content"}},
		}
		if rng.IntN(20) == 0 {
			continue // no .ssh
		}
		ssh := filepath.Join(root, "home", user, ".ssh")
		body, bad := file(user, keys, rng.IntN(100) == 0)
		if err := write(filepath.Join(ssh, "authorized_keys"), body); err != nil {
			return err
		}
		if bad > 0 {
			truth = append(truth, fmt.Sprintf("deny\t/home/%s/.ssh/authorized_keys\t%d", user, bad))
		}
		switch r := rng.IntN(200); {
		case r < 4:
			body, bad := file(user, keys[:1], r == 0)
			if err := write(filepath.Join(ssh, "authorized_keys2"), body); err != nil {
				return err
			}
			if bad > 0 {
				truth = append(truth, fmt.Sprintf("deny\t/home/%s/.ssh/authorized_keys2\t%d", user, bad))
			}
		case r == 4:
			if err := os.Symlink("/etc/passwd", filepath.Join(ssh, "authorized_keys2")); err != nil {
				return err
			}
			truth = append(truth, fmt.Sprintf("warn\t/home/%s/.ssh/authorized_keys2\t0", user))
		case r < 10:
			// Below maxdepth 1: never examined.
			body, _ := file(user, keys, true)
			if err := write(filepath.Join(ssh, "old", "authorized_keys"), body); err != nil {
				return err
			}
		}
		if err := write(filepath.Join(ssh, "known_hosts"), "host.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyHostKeyHostKeyHostKeyHostKey0\n"); err != nil {
			return err
		}
		if err := write(filepath.Join(ssh, "id_ed25519.pub"), keys[0].line()+"\n"); err != nil {
			return err
		}
	}
	action := map[string]any{
		"name": "Find rogue SSH keys in authorized_keys files", "syntaxversion": 2,
		"description": map[string]any{"author": "bench/miggen"},
		"threat":      map[string]any{"level": "high", "family": "compliance"},
		"operations":  []any{map[string]any{"module": "file", "parameters": map[string]any{"searches": searches}}},
	}
	b, err := json.Marshal(action)
	if err != nil {
		return err
	}
	if err := os.WriteFile(actionPath, b, 0o644); err != nil {
		return err
	}
	sort.Strings(truth)
	return os.WriteFile(truthPath, []byte(strings.Join(truth, "\n")+"\n"), 0o644)
}
