// Package mig converts Mozilla MIG investigations (action JSON, syntax
// version 2) that use the file module into assay bundles: one collect "file"
// block and one policy per search, and one generated Rego module that all
// the policies share, reporting each file a search matches at the line that
// decided it.
//
// One module rather than one per search is what keeps an investigation of
// thousands of searches (one per user's home directory) fast: the bundle
// compiles one module and the engine prepares one query. Each policy takes
// the documents of its own collect block only (input = [collect.file.ID]),
// which is the condition under which the loader lets policies share a
// package, so each file is judged once and reported under its search.
package mig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/assay-dev/assay/internal/safefile"
)

// Action is the part of a MIG action this package reads.
type Action struct {
	Name        string `json:"name"`
	Description struct {
		Author string `json:"author"`
		Email  string `json:"email"`
		URL    string `json:"url"`
	} `json:"description"`
	Threat struct {
		Level  string `json:"level"`
		Family string `json:"family"`
		Type   string `json:"type"`
	} `json:"threat"`
	Operations    []Operation `json:"operations"`
	SyntaxVersion int         `json:"syntaxversion"`
}

// Operation is one module run of an action.
type Operation struct {
	Module     string          `json:"module"`
	Parameters json.RawMessage `json:"parameters"`
}

// Search is a MIG file-module search.
type Search struct {
	Description string   `json:"description"`
	Paths       []string `json:"paths"`
	Names       []string `json:"names"`
	Contents    []string `json:"contents"`
	Sizes       []string `json:"sizes"`
	Modes       []string `json:"modes"`
	Mtimes      []string `json:"mtimes"`
	MD5         []string `json:"md5"`
	SHA1        []string `json:"sha1"`
	SHA2        []string `json:"sha2"`
	SHA3        []string `json:"sha3"`
	Options     struct {
		MaxDepth     float64  `json:"maxdepth"`
		MatchAll     bool     `json:"matchall"`
		Macroal      bool     `json:"macroal"`
		Mismatch     []string `json:"mismatch"`
		MatchLimit   float64  `json:"matchlimit"`
		ReturnSHA256 bool     `json:"returnsha256"`
		Decompress   bool     `json:"decompress"`
	} `json:"options"`
}

// Bundle is a converted investigation: file names (relative to the bundle
// directory) and their contents.
type Bundle struct {
	Files map[string][]byte
	// Notes are MIG features without an assay equivalent, one line each.
	Notes []string
}

// labelled is a search with its MIG label.
type labelled struct {
	label string
	s     Search
}

// Convert turns a MIG action into a bundle named name, laid out as shape
// says (the compact shape is described in compact.go).
func Convert(action []byte, name string, shape Shape) (*Bundle, error) {
	var a Action
	dec := json.NewDecoder(bytes.NewReader(action))
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("read MIG action: %w", err)
	}
	if a.SyntaxVersion != 0 && a.SyntaxVersion != 2 {
		return nil, fmt.Errorf("MIG action syntax version %d: only version 2 is supported", a.SyntaxVersion)
	}
	var searches []labelled
	var notes []string
	for i, op := range a.Operations {
		if op.Module != "file" {
			notes = append(notes, fmt.Sprintf("operation %d: module %q is not converted (only \"file\" is)", i, op.Module))
			continue
		}
		var p struct {
			Searches map[string]Search `json:"searches"`
		}
		if err := json.Unmarshal(op.Parameters, &p); err != nil {
			return nil, fmt.Errorf("operation %d: file parameters: %w", i, err)
		}
		labels := make([]string, 0, len(p.Searches))
		for l := range p.Searches {
			labels = append(labels, l)
		}
		sort.Strings(labels)
		for _, l := range labels {
			searches = append(searches, labelled{l, p.Searches[l]})
		}
	}
	if len(searches) == 0 {
		return nil, fmt.Errorf("MIG action %q has no file-module searches", a.Name)
	}

	f := hclwrite.NewEmptyFile()
	body := f.Body()
	bb := body.AppendNewBlock("bundle", []string{name}).Body()
	bb.SetAttributeValue("version", cty.StringVal("1.0.0"))
	desc := "Converted from MIG action " + fmt.Sprintf("%q", a.Name)
	if a.Description.Author != "" {
		desc += " by " + a.Description.Author
	}
	bb.SetAttributeValue("description", cty.StringVal(desc))
	severity := severityOf(a.Threat.Level)

	out := &Bundle{Files: map[string][]byte{}, Notes: notes}
	// Every search is checked, whatever its shape: a regex that does not
	// compile is refused now, not when the bundle is first loaded.
	for _, ls := range searches {
		if err := checkSearch(ls.s); err != nil {
			return nil, fmt.Errorf("search %q: %w", ls.label, err)
		}
		if ls.s.Options.MatchLimit > 0 {
			out.Notes = append(out.Notes, fmt.Sprintf("search %q: matchlimit %v dropped: assay reports every match", ls.label, ls.s.Options.MatchLimit))
		}
	}
	var compact []labelled
	switch shape {
	case Auto:
		compact, searches = splitCompact(searches, CompactThreshold)
	case Compact:
		compact, searches = splitCompact(searches, 1)
	case PerSearch:
	default:
		return nil, fmt.Errorf("shape %q: want one of %s", shape, shapeNames())
	}
	used := map[string]bool{}
	labels := make(map[string]string, len(searches)) // collect block name → MIG label
	fileName := "bundle.hcl"
	for i, ls := range searches {
		if i > 0 && i%SearchesPerFile == 0 {
			out.Files[fileName] = hclwrite.Format(f.Bytes())
			fileName = fmt.Sprintf("searches-%04d.hcl", i/SearchesPerFile+1)
			f = hclwrite.NewEmptyFile()
			body = f.Body()
			body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment,
				Bytes: fmt.Appendf(nil, "# Searches %d to %d of MIG action %q (bundle %q).\n", i+1, min(i+SearchesPerFile, len(searches)), a.Name, name)}})
		}
		id := identifier(ls.label, used)
		body.AppendNewline()
		cb := body.AppendNewBlock("collect", []string{"file", id}).Body()
		searchBody(cb, ls.s)
		body.AppendNewline()
		pb := body.AppendNewBlock("policy", []string{id}).Body()
		title := "MIG search " + ls.label
		if ls.s.Description != "" {
			title = ls.s.Description
		}
		// Only what differs per search: the description, severity and
		// enforcement, the same for every search, are the shared module's
		// METADATA. Policy blocks stay tiny, and an investigation of
		// thousands of searches has that much less HCL to parse.
		pb.SetAttributeValue("title", cty.StringVal(title))
		pb.SetAttributeRaw("input", hclwrite.TokensForTuple([]hclwrite.Tokens{hclwrite.TokensForTraversal(hcl.Traversal{
			hcl.TraverseRoot{Name: "collect"}, hcl.TraverseAttr{Name: "file"}, hcl.TraverseAttr{Name: id},
		})}))
		pb.SetAttributeRaw("rego", hclwrite.TokensForFunctionCall("file", hclwrite.TokensForValue(cty.StringVal(RegoFile))))
		labels[id] = ls.label
	}
	if len(compact) > 0 {
		if len(searches) > 0 {
			// The compact blocks go to a file of their own.
			out.Files[fileName] = hclwrite.Format(f.Bytes())
			fileName = "compact.hcl"
			f = hclwrite.NewEmptyFile()
			body = f.Body()
			body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment,
				Bytes: fmt.Appendf(nil, "# The %d searches of MIG action %q written compact (bundle %q).\n", len(compact), a.Name, name)}})
		}
		if err := writeCompact(out, body, name, a.Name, severity, compact, used); err != nil {
			return nil, err
		}
	}
	out.Files[fileName] = hclwrite.Format(f.Bytes())
	if len(searches) > 0 {
		out.Files[RegoFile] = regoFor(PackageOf(name), a.Name, severity, labels)
	}
	return out, nil
}

func shapeNames() string {
	names := make([]string, len(Shapes))
	for i, s := range Shapes {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// SearchesPerFile bounds the searches of one HCL file: bundle.hcl holds
// the bundle block and the first ones, searches-0002.hcl the next, and so
// on. Files of a few hundred kilobytes stay readable in a review, and the
// loader parses a bundle's files concurrently.
const SearchesPerFile = 500

// RegoFile is the bundle's one Rego module, shared by every policy.
const RegoFile = "rego/mig.rego"

// PackageOf is the Rego package of the module generated for the bundle
// named name: "assay.mig.NAME" (NAME made an identifier). A package per
// bundle lets two imported investigations be scanned together: bundles may
// not share a package.
func PackageOf(name string) string {
	return "assay.mig." + identifier(name, map[string]bool{})
}

// checkSearch refuses what no shape can convert: a search without
// paths, a relative path, a regex that does not compile, a digest of an
// unknown length.
func checkSearch(s Search) error {
	if len(s.Paths) == 0 {
		return fmt.Errorf("no paths: MIG requires at least one")
	}
	for _, p := range s.Paths {
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("path %q is not absolute", p)
		}
	}
	// Names and contents are regular expressions (RE2 in MIG as here, "!"
	// negating).
	for _, res := range [][]string{s.Names, s.Contents} {
		for _, re := range res {
			if _, err := regexp.Compile(strings.TrimPrefix(re, "!")); err != nil {
				return fmt.Errorf("regular expression %q: %w", re, err)
			}
		}
	}
	for _, d := range []struct {
		family string
		v      []string
		lens   map[int]string
	}{{"sha2", s.SHA2, sha2Lengths}, {"sha3", s.SHA3, sha3Lengths}} {
		for _, h := range d.v {
			if _, ok := d.lens[len(h)]; !ok {
				return fmt.Errorf("%s digest %q: length %d is not supported", d.family, h, len(h))
			}
		}
	}
	return nil
}

var (
	sha2Lengths = map[int]string{64: "sha256", 96: "sha384", 128: "sha512"}
	sha3Lengths = map[int]string{64: "sha3_256", 128: "sha3_512"}
)

// searchBody writes one search's attributes (checkSearch passed).
func searchBody(b *hclwrite.Body, s Search) {
	paths := make([]string, len(s.Paths))
	for i, p := range s.Paths {
		// MIG paths are literal; assay's may be globs.
		paths[i] = globEscape(p)
	}
	strs := func(attr string, v []string) {
		if len(v) > 0 {
			b.SetAttributeValue(attr, list(v))
		}
	}
	strs("paths", paths)
	strs("name", s.Names)
	o := s.Options
	if o.MaxDepth > 0 {
		b.SetAttributeValue("maxdepth", cty.NumberIntVal(int64(o.MaxDepth)))
	}
	strs("content", s.Contents)
	if o.Macroal {
		b.SetAttributeValue("macroal", cty.True)
	}
	// MIG's JSON default is "not matchall": any criterion is enough (its
	// command line set matchall itself).
	if o.MatchAll {
		b.SetAttributeValue("matchall", cty.True)
	} else {
		b.SetAttributeValue("matchany", cty.True)
	}
	strs("mismatch", o.Mismatch)
	strs("size", s.Sizes)
	strs("mode", s.Modes)
	strs("mtime", s.Mtimes)
	strs("md5", lower(s.MD5))
	strs("sha1", lower(s.SHA1))
	byLen := func(v []string, lens map[int]string) {
		got := map[string][]string{}
		for _, h := range v {
			algo := lens[len(h)]
			got[algo] = append(got[algo], strings.ToLower(h))
		}
		for _, algo := range slices.Sorted(maps.Keys(got)) {
			b.SetAttributeValue(algo, list(got[algo]))
		}
	}
	byLen(s.SHA2, sha2Lengths)
	byLen(s.SHA3, sha3Lengths)
	if o.ReturnSHA256 {
		b.SetAttributeValue("hashes", list([]string{"sha256"}))
	}
	if o.Decompress {
		b.SetAttributeValue("decompress", cty.True)
	}
}

func list(v []string) cty.Value {
	vals := make([]cty.Value, len(v))
	for i, s := range v {
		vals[i] = cty.StringVal(s)
	}
	return cty.TupleVal(vals)
}

func lower(v []string) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = strings.ToLower(s)
	}
	return out
}

func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// identifier makes a search label usable as a block label that policies
// reference (collect.file.ID) and as a Rego package segment.
func identifier(label string, used map[string]bool) string {
	id := strings.Trim(nonIdent.ReplaceAllString(label, "_"), "_")
	if id == "" || (id[0] >= '0' && id[0] <= '9') {
		id = "s_" + id
	}
	base := id
	for i := 2; used[strings.ToLower(id)]; i++ {
		id = fmt.Sprintf("%s_%d", base, i)
	}
	used[strings.ToLower(id)] = true
	return id
}

func severityOf(level string) string {
	switch strings.ToLower(level) {
	case "info":
		return "info"
	case "low":
		return "low"
	case "high":
		return "high"
	case "critical":
		return "critical"
	}
	return "medium"
}

// regoFor is the module every search's policy shares: each document the
// collector emits is a file a search matched, so each becomes a finding, at
// the line that decided it when content was searched. Links that were not
// followed are warnings: what they point to was not inspected. The search
// is named by the MIG label of the collect block that emitted the document
// (input.collector), from a table; the policy that reports the finding is
// the one whose input is that block.
func regoFor(pkg, action, severity string, labels map[string]string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `# Generated by assay mig import from MIG action %s: one module for
# all of its searches. Each policy takes the documents of its own collect
# block only, so every document is judged once, under its own search.

# METADATA
# description: >-
#   Reports every file that this policy's MIG search (its collect block)
#   matches, with the criteria the search lists under mismatch inverted, at
#   the line that decided it: the first line that failed the content
#   regexes, else the first that satisfied them.
# custom:
#   severity: %s
#   enforcement: mandatory
package %s

deny contains finding if {
	input.matched
	finding := {
		"msg": sprintf("%%s matches MIG search %%q", [input.path, search]),
		"path": input.path,
		"line": line,
	}
}

warn contains finding if {
	input.type == "symlink"
	finding := {
		"msg": sprintf("%%s is a symbolic link to %%s, not followed: MIG search %%q did not inspect its target", [input.path, input.link, search]),
		"path": input.path,
	}
}

# The first line that failed the content regexes (what a mismatch search
# reports), else the first that satisfied them, else none.
line := l if {
	l := input.match.content.first_mismatch.line
} else := l if {
	l := input.match.content.matched_lines[0]
} else := 0

# The MIG label of the document's search.
search := s if {
	s := searches[input.collector]
} else := input.collector

# MIG search labels by collect block name.
searches := {
`, regoString(action), severity, pkg)
	for _, id := range slices.Sorted(maps.Keys(labels)) {
		fmt.Fprintf(&b, "\t%s: %s,\n", regoString(id), regoString(labels[id]))
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// regoString quotes s for Rego, whose string literals are JSON's.
func regoString(s string) string {
	q, _ := json.Marshal(s) // a string always marshals
	return string(q)
}

// WriteDir writes the bundle into dir, which must not exist or be empty.
// Its files are written below the opened directory (safefile.Dir): a link
// planted inside it, at a file or a subdirectory, is never written
// through.
func (b *Bundle) WriteDir(dir string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("write bundle: %s is not empty", dir)
	}
	d, err := safefile.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	defer d.Close()
	for _, n := range slices.Sorted(maps.Keys(b.Files)) {
		if err := d.WriteBytes(n, 0o644, b.Files[n]); err != nil {
			return fmt.Errorf("write bundle: %w", err)
		}
	}
	return nil
}

// Imported is a MIG investigation written as a bundle directory.
type Imported struct {
	*Bundle
	// Name is the bundle's name; Dir where it was written.
	Name, Dir string
}

// Import converts the MIG action in the file src into a bundle named
// name, laid out as shape says, written to the directory out; out and name
// default to src's base name.
// Its errors are the user's to fix (a file that cannot be read, an action
// that cannot be converted, a directory that cannot be written).
func Import(src, out, name string, shape Shape) (*Imported, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, fmt.Errorf("mig import: %w", err)
	}
	base := strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))
	if name == "" {
		name = base
	}
	if out == "" {
		out = base
	}
	b, err := Convert(data, name, shape)
	if err != nil {
		return nil, fmt.Errorf("mig import %s: %w", src, err)
	}
	if err := b.WriteDir(out); err != nil {
		return nil, fmt.Errorf("mig import: %w", err)
	}
	return &Imported{Bundle: b, Name: name, Dir: out}, nil
}
