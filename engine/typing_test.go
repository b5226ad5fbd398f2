package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/collectors/all"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/internal/golden"
)

// typedLib holds the helpers of the built-in bundles' style: a library
// package, untyped itself, whose functions index the document with their
// argument.
const typedLib = `package t.lib

setting(k) := input.settings[k]

field(k) := input[k]

kernel(k) := input.kernel[k]

# list reaches input.settings through setting: checked too.
list(k) := split(setting(k), ",")
`

// typedCase is one document kind read three ways (directly, through a
// helper, through object.get), each misspelled (bad) and right (good).
type typedCase struct {
	collectType, kind string
	mode              bundle.Mode
	// ways: {bad expression, misspelled token, good expression}
	ways [3][3]string
}

var typedCases = []typedCase{
	{"sshd_config", "sshd_config", bundle.PerDocument, [3][3]string{
		{`input.settings.permitrootlgin == "no"`, "permitrootlgin", `input.settings.permitrootlogin == "no"`},
		{`lib.setting("x11forwardin") == "no"`, `"x11forwardin"`, `lib.setting("x11forwarding") == "no"`},
		{`object.get(input.settings, "PermitRootLogin", "") == "no"`, `"PermitRootLogin"`, `object.get(input.settings, "permitrootlogin", "") == "no"`},
	}},
	{"sshd_config", "sshd_config", bundle.PerDocument, [3][3]string{
		{`input.setings.permitrootlogin == "no"`, "setings", `input.sources.permitrootlogin.line > 0`},
		{`"aes128-cbc" in lib.list("cipher")`, `"cipher"`, `"aes128-cbc" in lib.list("ciphers")`},
		{`object.get(input, ["ssh_agnt", "installed"], false)`, `"ssh_agnt"`, `object.get(input, ["ssh_agent", "installed"], false)`},
	}},
	{"file", "file", bundle.PerDocument, [3][3]string{
		{`input.mod == "-rw-------"`, "mod", `input.mode == "-rw-------"`},
		{`lib.field("ownr") == "root"`, `"ownr"`, `lib.field("owner") == "root"`},
		{`object.get(input, ["match", "chekcs"], []) == []`, `"chekcs"`, `object.get(input, ["match", "checks"], []) == []`},
	}},
	{"host", "host", bundle.PerDocument, [3][3]string{
		{`input.hostnme == "web-1"`, "hostnme", `input.hostname == "web-1"`},
		{`lib.kernel("relase") == "6.1"`, `"relase"`, `lib.kernel("release") == "6.1"`},
		{`object.get(input, "machineid", "") == ""`, `"machineid"`, `object.get(input, "machine_id", "") == ""`},
	}},
	{"interfaces", "net.interface", bundle.PerDocument, [3][3]string{
		{`input.permanent_mc == ""`, "permanent_mc", `input.permanent_mac == ""`},
		{`lib.field("opertate") == "UP"`, `"opertate"`, `lib.field("operstate") == "UP"`},
		{`object.get(input, "MTU", 0) > 1500`, `"MTU"`, `object.get(input, "mtu", 0) > 1500`},
	}},
	{"neighbors", "net.neighbor", bundle.PerDocument, [3][3]string{
		{`input.rooter`, "rooter", `input.router`},
		{`lib.field("sorce") == "arp_cache"`, `"sorce"`, `lib.field("source") == "arp_cache"`},
		{`object.get(input, "interfac", "") == ""`, `"interfac"`, `object.get(input, "interface", "") == ""`},
	}},
	{"image_config", "image.config", bundle.PerDocument, [3][3]string{
		{`input.usr == "root"`, "usr", `input.user == "root"`},
		{`lib.field("entrypont") == []`, `"entrypont"`, `lib.field("entrypoint") == []`},
		{`object.get(input, "env_name", []) == []`, `"env_name"`, `object.get(input, "env_names", []) == []`},
	}},
}

// aggregateCases are read in aggregate mode, where input is
// {"documents": [...]}: OPA's checker types them all (the helper check
// covers per-document policies).
var aggregateCases = []typedCase{
	{"file", "file", bundle.Aggregate, [3][3]string{
		{`some d in input.documents; d.pth == ""`, "pth", `some d in input.documents; d.path == ""`},
		{`input.documnts[0].path == ""`, "documnts", `input.documents[0].path == ""`},
		{`some d in input.documents; d.match.chekcs == []`, "chekcs", `some d in input.documents; d.match.checks == []`},
	}},
	{"image_config", "image.config", bundle.Aggregate, [3][3]string{
		{`some d in input.documents; d.exposed_port == []`, "exposed_port", `some d in input.documents; d.exposed_ports == []`},
		{`input.documents[0].workdir == ""`, "workdir", `input.documents[0].working_dir == ""`},
		{`some d in input.documents; d.labels.x == ""; d.archtecture == "arm64"`, "archtecture", `some d in input.documents; d.labels.x == ""; d.architecture == "arm64"`},
	}},
}

// typedBundle builds one bundle with a collect block of every type and,
// for each case and way, a policy whose input is the case's collector.
func typedBundle(t *testing.T, cases []typedCase, expr func(c typedCase, way int) string) *bundle.Bundle {
	t.Helper()
	var pols []pol
	for i, c := range cases {
		for w := range c.ways {
			pols = append(pols, pol{
				id:     fmt.Sprintf("%s_%d_%d", strings.ReplaceAll(c.kind, ".", "_"), i, w),
				inputs: []string{c.collectType + ".c"},
				mode:   c.mode,
				rego:   fmt.Sprintf("package t.p%d_%d\n\nimport data.t.lib\n\ndeny contains \"x\" if {\n\t%s\n}\n", i, w, expr(c, w)),
			})
		}
	}
	b := newBundle(t, "t", nil, pols...)
	b.Modules = append(b.Modules, parseModule(t, "t/lib.rego", typedLib))
	reg := all.Registry()
	for _, typ := range reg.All() {
		b.Collects = append(b.Collects, &bundle.Collect{Type: typ, Name: "c"})
	}
	return b
}

// TestTypedDocuments: for every document kind, a misspelled field read
// directly, through a helper function and through object.get fails
// compilation at the misspelled word's file:line:col, with a suggestion
// (golden file); the same policies spelled right compile.
func TestTypedDocuments(t *testing.T) {
	good := typedBundle(t, append(typedCases, aggregateCases...), func(c typedCase, w int) string { return c.ways[w][2] })
	if _, err := New(context.Background(), []*bundle.Bundle{good}); err != nil {
		t.Fatalf("the policies spelled right do not compile: %v", err)
	}

	type run struct {
		name  string
		cases []typedCase
		ways  []int
	}
	for _, r := range []run{{"direct", typedCases, []int{0}}, {"helper", typedCases, []int{1}}, {"object.get", typedCases, []int{2}}, {"aggregate", aggregateCases, []int{0, 1, 2}}} {
		t.Run(r.name, func(t *testing.T) {
			// One way at a time: OPA's errors stop compilation before
			// the helper check runs.
			b := typedBundle(t, r.cases, func(c typedCase, w int) string {
				if slices.Contains(r.ways, w) {
					return c.ways[w][0]
				}
				return c.ways[w][2]
			})
			_, err := New(context.Background(), []*bundle.Bundle{b})
			if err == nil {
				t.Fatal("misspelled fields compiled")
			}
			got := diagLines(t, err)
			var want []string
			for i, c := range r.cases {
				for _, way := range r.ways {
					line, tok := "\t"+c.ways[way][0], c.ways[way][1]
					col := strings.Index(line, tok) // a quoted key: at its quote
					if !strings.HasPrefix(tok, `"`) {
						col = strings.Index(line, "."+tok) + 1 // a field: after the dot
					}
					want = append(want, fmt.Sprintf("t/%s_%d_%d.rego:6:%d: Unknown document field: ", strings.ReplaceAll(c.kind, ".", "_"), i, way, col+1))
				}
			}
			slices.Sort(want) // the diagnostics are sorted by file
			if len(got) != len(want) {
				t.Fatalf("%d diagnostics, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], want[i]) {
					t.Errorf("diagnostic %d:\n got %s\nwant prefix %s", i, got[i], want[i])
				}
			}
			golden.Check(t, "typed_"+strings.ReplaceAll(r.name, ".", "_")+".golden", []byte(strings.Join(got, "\n")+"\n"))
		})
	}
}

// TestUntypedStaysUntyped: policies without inputs, of implicit bundles,
// or whose collector has no schema compile whatever they read; an implicit
// bundle's module that names a kind's schema in its METADATA is typed.
func TestUntypedStaysUntyped(t *testing.T) {
	const reads = "deny contains \"x\" if input.setings.permitrootlgin == \"no\"\n"
	b := newBundle(t, "u", nil, pol{id: "noinput", rego: "package u.noinput\n\n" + reads})
	if _, err := New(context.Background(), []*bundle.Bundle{b}); err != nil {
		t.Errorf("a policy without input was typed: %v", err)
	}
	imp := newBundle(t, "i", nil, pol{id: "p", rego: "package i.p\n\n" + reads})
	imp.Implicit = true
	if _, err := New(context.Background(), []*bundle.Bundle{imp}); err != nil {
		t.Errorf("an implicit bundle was typed: %v", err)
	}
	other := newBundle(t, "o", nil, pol{id: "p", rego: "# METADATA\n# schemas:\n#   - input: schema.other\npackage o.p\n\n" + reads})
	other.Implicit = true
	if _, err := New(context.Background(), []*bundle.Bundle{other}); err != nil {
		t.Errorf("an annotation naming a schema assay does not know stopped compilation: %v", err)
	}

	attached := newBundle(t, "a", nil, pol{id: "p", rego: "# METADATA\n# scope: package\n# schemas:\n#   - input: schema.assay.sshd_config\npackage a.p\n\n" + reads})
	attached.Implicit = true
	_, err := New(context.Background(), []*bundle.Bundle{attached})
	if err == nil {
		t.Fatal("a module that attached the sshd_config schema was not typed")
	}
	if got := diagLines(t, err); len(got) != 1 || !strings.Contains(got[0], "a/p.rego:7:28: Unknown document field") || !strings.Contains(got[0], `Did you mean "settings"?`) {
		t.Errorf("attached schema: %q", got)
	}
}

// TestTypedLibraries: a library package (no policy of its own) used only
// by typed policies is typed with the union of their kinds, so a helper
// that reads a misspelled field directly (the openssh-vulnerabilities
// style) fails too; one that an untyped policy also uses stays untyped.
func TestTypedLibraries(t *testing.T) {
	const lib = "package l.lib\n\nrelease := input.openssh_relase\n\nmode := input.mode\n"
	build := func(pols ...pol) *bundle.Bundle {
		b := newBundle(t, "l", nil, pols...)
		b.Modules = append(b.Modules, parseModule(t, "l/lib.rego", lib))
		for _, typ := range all.Registry().All() {
			b.Collects = append(b.Collects, &bundle.Collect{Type: typ, Name: "c"})
		}
		return b
	}
	uses := func(id string, inputs ...string) pol {
		return pol{id: id, inputs: inputs, rego: fmt.Sprintf("package l.%s\n\nimport data.l.lib\n\ndeny contains lib.release if lib.mode\n", id)}
	}
	_, err := New(context.Background(), []*bundle.Bundle{build(uses("ssh", "sshd_config.c"), uses("files", "file.c"))})
	if err == nil {
		t.Fatal("a library used by typed policies read a misspelled field and compiled")
	}
	got := diagLines(t, err)
	want := `l/lib.rego:3:18: Unknown document field: input.openssh_relase: file or sshd_config documents have no field "openssh_relase". Did you mean "openssh_release"?`
	if len(got) != 1 || got[0] != want {
		t.Errorf("diagnostics %q,\nwant %q", got, want)
	}
	if _, err := New(context.Background(), []*bundle.Bundle{build(uses("ssh", "sshd_config.c"), uses("any"))}); err != nil {
		t.Errorf("a library an untyped policy uses was typed: %v", err)
	}
}

// TestTypedHostFacts: a typed policy's data.assay.host has the host
// schema.
func TestTypedHostFacts(t *testing.T) {
	b := newBundle(t, "h", nil, pol{id: "p", inputs: []string{"sshd_config.c"}, rego: "package h.p\n\ndeny contains data.assay.host.hostname if data.assay.host.os.id == \"debian\"\n\nwarn contains \"x\" if data.assay.host.hostnme\n"})
	b.Collects = append(b.Collects, &bundle.Collect{Type: func() collector.Type { typ, _ := all.Registry().Lookup("sshd_config"); return typ }(), Name: "c"})
	_, err := New(context.Background(), []*bundle.Bundle{b})
	if err == nil {
		t.Fatal("a misspelled host fact compiled")
	}
	want := []string{`h/p.rego:5:38: Unknown document field: data.assay.host.hostnme: the host facts (data.assay.host, a host document) have no field "hostnme". Did you mean "hostname"?`}
	if got := diagLines(t, err); !slices.Equal(got, want) {
		t.Errorf("diagnostics %q, want %q", got, want)
	}
}

// TestTypedFleet: a fleet policy's input is typed as input.targets, each
// target with its name, host facts and the documents of its kinds.
func TestTypedFleet(t *testing.T) {
	build := func(body string) *bundle.Bundle {
		b := newBundle(t, "f", nil, pol{id: "p", mode: bundle.Fleet, inputs: []string{"sshd_config.c"},
			rego: "package f.p\n\ndeny contains {\"msg\": \"x\", \"target\": t.name} if {\n\tsome t in input.targets\n\tsome d in t.documents\n\t" + body + "\n}\n"})
		b.Collects = append(b.Collects, &bundle.Collect{Type: func() collector.Type { typ, _ := all.Registry().Lookup("sshd_config"); return typ }(), Name: "c"})
		return b
	}
	if _, err := New(context.Background(), []*bundle.Bundle{build(`d.settings.permitrootlogin == t.host.hostname`)}); err != nil {
		t.Fatalf("a fleet policy spelled right does not compile: %v", err)
	}
	for _, tc := range []struct{ body, want string }{
		{`d.settings.permitrootlgin == "no"`, `f/p.rego:6:13: Unknown document field: d.settings.permitrootlgin: sshd_config documents (input.targets[_].documents[_]) have no field "permitrootlgin". Did you mean "permitrootlogin"?`},
		{`t.hostnme == "x"`, `f/p.rego:6:4: Unknown document field: t.hostnme: sshd_config documents (input.targets[_].documents[_]) have no field "hostnme". It has "documents", "host", "kind", "labels", "name".`},
	} {
		_, err := New(context.Background(), []*bundle.Bundle{build(tc.body)})
		if err == nil {
			t.Errorf("%s compiled", tc.body)
			continue
		}
		if got := diagLines(t, err); len(got) != 1 || !strings.HasPrefix(got[0], tc.want) {
			t.Errorf("%s: diagnostics %q,\nwant prefix %q", tc.body, got, tc.want)
		}
	}
}
