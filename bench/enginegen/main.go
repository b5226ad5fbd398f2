// Command enginegen writes the documents and policies that bench/engine.sh
// judges with conftest and assay: three document shapes, each with its own
// 50 conftest-style policies, in both layouts conftest users have (all
// policies in package main, or one package per policy). Everything is drawn
// from a fixed seed, so every run judges the same inputs. It is a benchmark
// harness only, not part of assay.
//
//	enginegen docs SHAPE N DIR            # N documents, DIR/00000.json ...
//	enginegen policies SHAPE LAYOUT DIR   # 50 policies, LAYOUT one-package|per-package
//
// Shapes:
//
//	flat    ~1 KB: one object of scalar fields (name, team, 50 settings)
//	nested  ~4 KB: host facts: os, labels, sshd settings and algorithm lists,
//	        12 packages, 15 files {path, mode, owner, group, size, sha256},
//	        4 users with their groups
//	large   ~64 KB: the same host facts with 330 files, 100 packages and
//	        20 users
//
// Policy i of the nested and large shapes is one of five kinds (i mod 5),
// each iterating an array (some f in input.files, ...) and formatting its
// message with sprintf, as conftest policies do; every policy also warns
// about one team's hosts in one condition. Each policy fires on about 2% of
// the documents.
package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// NPolicies is the number of policies of every shape.
const NPolicies = 50

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "enginegen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 4 && args[0] == "docs":
		n, err := strconv.Atoi(args[2])
		if err != nil {
			return err
		}
		return writeDocs(args[1], n, args[3])
	case len(args) == 4 && args[0] == "policies":
		return writePolicies(args[1], args[2], args[3])
	}
	return fmt.Errorf("usage: enginegen docs SHAPE N DIR | policies SHAPE LAYOUT DIR")
}

// shape says how large the nested documents of a shape are, and how rare
// what the policies look for is, so that each policy fires on about 2% of
// the documents whatever the size.
type shape struct {
	files, packages, users int
	// oddMode: the chance that a file is world-writable (a policy looks
	// at the 1/50 of the files in its directory); pkgNames: how many
	// package names there are (a policy looks for one); extraGroup: the
	// chance that a user is in one more group (of 50).
	oddMode, extraGroup float64
	pkgNames            int
	// manyFiles: more files than this not owned by root makes a warning
	// (a third of the files are not).
	manyFiles int
}

var shapes = map[string]shape{
	"nested": {files: 15, packages: 12, users: 4, oddMode: 0.06, extraGroup: 0.15, pkgNames: 100, manyFiles: 6},
	"large":  {files: 330, packages: 100, users: 20, oddMode: 0.003, extraGroup: 0.03, pkgNames: 1000, manyFiles: 115},
}

func writeDocs(name string, n int, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(17, uint64(len(name))))
	for d := range n {
		var doc any
		if name == "flat" {
			doc = flatDoc(rng, d)
		} else {
			s, ok := shapes[name]
			if !ok {
				return fmt.Errorf("unknown shape %q: flat, nested or large", name)
			}
			doc = hostDoc(rng, d, s)
		}
		b, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%05d.json", d)), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// flatDoc is one object of scalar fields.
func flatDoc(rng *rand.Rand, d int) map[string]any {
	doc := map[string]any{
		"kind": "service", "name": fmt.Sprintf("svc-%05d", d), "namespace": fmt.Sprintf("ns-%d", d%7),
		"team": fmt.Sprintf("t%d", rng.IntN(10)), "env": "prod", "replicas": 1 + rng.IntN(4),
		"image": fmt.Sprintf("registry.example/app:1.%d", d%9), "owner": "platform@example.org",
	}
	for k := range NPolicies {
		doc[fmt.Sprintf("s%02d", k)] = rng.IntN(100)
	}
	return doc
}

var (
	modes   = []string{"0644", "0644", "0644", "0600", "0640", "0755"}
	owners  = []string{"root", "root", "root", "root", "app", "www-data"}
	shells  = []string{"/bin/bash", "/bin/bash", "/usr/sbin/nologin", "/bin/sh"}
	ciphers = []string{"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes192-ctr", "aes128-ctr"}
	macs    = []string{"hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com", "hmac-sha2-512"}
)

// hostDoc is one host's facts.
func hostDoc(rng *rand.Rand, d int, s shape) map[string]any {
	pick := func(l []string) string { return l[rng.IntN(len(l))] }
	hex := func() string {
		var b strings.Builder
		for range 4 {
			fmt.Fprintf(&b, "%016x", rng.Uint64())
		}
		return b.String()
	}
	settings := map[string]any{}
	for k := range NPolicies {
		v := "no"
		if rng.IntN(100) < 2 {
			v = "yes"
		}
		settings[fmt.Sprintf("opt%02d", k)] = v
	}
	cs := append([]string(nil), ciphers[:2+rng.IntN(len(ciphers)-1)]...)
	if rng.IntN(100) < 50 {
		cs = append(cs, fmt.Sprintf("3des-cbc-%02d", rng.IntN(NPolicies)))
	}
	sshd := map[string]any{
		"permitrootlogin": "prohibit-password", "passwordauthentication": "no", "maxauthtries": 3 + rng.IntN(4),
		"ciphers": cs, "macs": macs[:1+rng.IntN(len(macs))], "settings": settings,
	}
	packages := make([]any, s.packages)
	for i := range packages {
		packages[i] = map[string]any{"name": fmt.Sprintf("pkg%d", rng.IntN(s.pkgNames)), "version": fmt.Sprintf("1.%d.%d", rng.IntN(10), rng.IntN(20)), "arch": "amd64"}
	}
	files := make([]any, s.files)
	for i := range files {
		mode := pick(modes)
		if rng.Float64() < s.oddMode {
			mode = "0777"
		}
		files[i] = map[string]any{
			"path": fmt.Sprintf("/srv/d%02d/app/f%03d.conf", rng.IntN(NPolicies), i), "mode": mode,
			"owner": pick(owners), "group": "root", "size": rng.IntN(1 << 16), "sha256": hex(),
		}
	}
	users := make([]any, s.users)
	for i := range users {
		groups := []string{"users"}
		if rng.Float64() < s.extraGroup {
			groups = append(groups, fmt.Sprintf("g%02d", rng.IntN(NPolicies)))
		}
		users[i] = map[string]any{"name": fmt.Sprintf("u%03d", i), "uid": 1000 + i, "shell": pick(shells), "groups": groups}
	}
	return map[string]any{
		"kind":     "host",
		"hostname": fmt.Sprintf("host-%05d", d),
		"os":       map[string]any{"name": "debian", "version": fmt.Sprintf("12.%d", rng.IntN(8)), "kernel": "6.1.0-18-amd64"},
		"labels":   map[string]any{"team": fmt.Sprintf("t%d", rng.IntN(10)), "env": "prod", "zone": fmt.Sprintf("z%d", rng.IntN(3))},
		"sshd":     sshd,
		"packages": packages,
		"files":    files,
		"users":    users,
	}
}

func writePolicies(name, layout, dir string) error {
	if layout != "one-package" && layout != "per-package" {
		return fmt.Errorf("unknown layout %q: one-package or per-package", layout)
	}
	if name != "flat" {
		if _, ok := shapes[name]; !ok {
			return fmt.Errorf("unknown shape %q: flat, nested or large", name)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range NPolicies {
		pkg := "main"
		if layout == "per-package" {
			pkg = fmt.Sprintf("p%02d", i)
		}
		src := "package " + pkg + "\n\n" + policy(name, i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%02d.rego", i)), []byte(src), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// policy is the deny and warn rules of policy i of the shape.
func policy(shape string, i int) string {
	id := fmt.Sprintf("p%02d", i)
	if shape == "flat" {
		return fmt.Sprintf(`deny contains msg if {
	input.s%02[2]d > 97
	msg := sprintf("%[1]s: %%s sets s%02[2]d to %%d", [input.name, input.s%02[2]d])
}

warn contains msg if {
	input.team == "t%[3]d"
	input.replicas < 2
	msg := sprintf("%[1]s: %%s runs a single replica", [input.name])
}
`, id, i, i%10)
	}
	var deny string
	switch i % 5 {
	case 0: // world-writable files of one directory
		deny = fmt.Sprintf(`deny contains msg if {
	some f in input.files
	startswith(f.path, "/srv/d%02[2]d/")
	f.mode == "0777"
	msg := sprintf("%[1]s: %%s on %%s is world-writable (%%s)", [f.path, input.hostname, f.mode])
}`, id, i)
	case 1: // an old version of one package
		deny = fmt.Sprintf(`deny contains msg if {
	some p in input.packages
	p.name == "pkg%[2]d"
	startswith(p.version, "1.0.")
	msg := sprintf("%[1]s: %%s has %%s %%s, older than 1.1", [input.hostname, p.name, p.version])
}`, id, i)
	case 2: // one sshd setting
		deny = fmt.Sprintf(`deny contains msg if {
	input.sshd.settings.opt%02[2]d == "yes"
	msg := sprintf("%[1]s: %%s sets opt%02[2]d to %%s", [input.hostname, input.sshd.settings.opt%02[2]d])
}`, id, i)
	case 3: // one weak cipher
		deny = fmt.Sprintf(`deny contains msg if {
	some c in input.sshd.ciphers
	c == "3des-cbc-%02[2]d"
	msg := sprintf("%[1]s: %%s allows cipher %%s", [input.hostname, c])
}`, id, i)
	default: // members of one group with a plain shell
		deny = fmt.Sprintf(`deny contains msg if {
	some u in input.users
	"g%02[2]d" in u.groups
	msg := sprintf("%[1]s: user %%s of %%s is in group g%02[2]d with shell %%s", [u.name, input.hostname, u.shell])
}`, id, i)
	}
	return deny + fmt.Sprintf(`

warn contains msg if {
	input.labels.team == "t%[2]d"
	input.labels.zone == "z%[3]d"
	count([f | some f in input.files; f.owner != "root"]) > %[4]d
	msg := sprintf("%[1]s: %%s of team %%s has many files not owned by root", [input.hostname, input.labels.team])
}
`, id, i%10, i%3, shapes[shape].manyFiles)
}
