package mig

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// The compact shape. An investigation of thousands of searches that differ
// only in their paths, content allow-lists and maxdepth (one search per
// user's ~/.ssh, each allowing that user's keys) costs, in the per-search
// shape, one collect block and one policy each, and above all one content
// regex each: the collector compiles every one (a 4,096-bit RSA key makes a
// regex of 800 characters, about 100 KB compiled), and keeps them. The
// compact shape writes one collect "file" block per 500 search paths, with
// the searches' shared name regexes and the lines of each file captured,
// and one policy that judges each file against the searches whose paths
// hold it, from data files that list every search with its allow-list.
//
// Each content regex is taken apart at import (digestContent): the
// alternatives of an anchored ^(…|…)$ that are a literal followed by .*
// (a key line) or a literal alone become string prefixes and exact lines,
// which the policy tests with startswith and ==, and only the rest (#.*
// comments, \s* blank lines, anything unusual), few and shared by most
// searches, stays a regex. The policy applies them as the collector applies
// a search's content: line by line (macroal), the first line that fails
// deciding where the finding points, mismatch inverting the outcome.
//
// Only searches whose meaning the policy reproduces exactly are made
// compact: matchall, macroal, mismatch at most content, name and content
// regexes and no other criterion, and paths that no other compact search's
// paths overlap (a file is then reached from one search path only, and its
// depth below it is that of the walk). The others keep the per-search
// shape. Two cases the captured lines cannot settle are reported rather
// than guessed: a file larger than the capture (1 MiB), and a line that
// held invalid UTF-8 where a regex that can count its bytes decides it
// (see fffdSafe; literals, .* and the like are exact); both are a deny
// finding saying so, never a silent pass.

// Shape says how Convert lays out the searches.
type Shape string

const (
	// Auto writes compact the searches that fit it when there are at least
	// CompactThreshold of them, and the others per search.
	Auto Shape = "auto"
	// PerSearch writes one collect block and one policy per search.
	PerSearch Shape = "per-search"
	// Compact writes compact every search that fits it, however few.
	Compact Shape = "compact"
)

// Shapes lists the shapes, for flags and errors.
var Shapes = []Shape{Auto, PerSearch, Compact}

// CompactThreshold is how many searches fitting the compact shape Auto
// needs to choose it: below it, the per-search shape's policy per search
// reads better in a report and costs little.
const CompactThreshold = 100

// Compact shape limits: search paths per collect block (the collector
// checks its paths for overlaps pairwise), searches per data file (a
// bundle's files are limited to 16 MiB each, and a search with three
// RSA-4096 keys takes some 2.5 KB).
const (
	compactPathsPerBlock    = 500
	compactSearchesPerPart  = 2000
	compactRegoFile         = "rego/compact.rego"
	compactPolicyID         = "mig_compact"
	compactBlockPrefix      = "mig_compact_"
	maxDigestedAlternatives = 256
)

// compactSearch is one search as the compact policy reads it.
type compactSearch struct {
	Label string `json:"label"`
	// MaxDepth is -1 for unlimited.
	MaxDepth int `json:"maxdepth"`
	// Mismatch: the content criterion is inverted (mismatch = ["content"]).
	Mismatch bool             `json:"mismatch"`
	Contents []compactContent `json:"contents"`
}

// compactContent is one content regex, taken apart: a line matches it when
// it starts with one of Prefixes, equals one of Exact or matches one of
// Regexes.
type compactContent struct {
	Invert   bool     `json:"invert"`
	Prefixes []string `json:"prefixes"`
	Exact    []string `json:"exact"`
	Regexes  []string `json:"regexes"`
	// RawRegexes are regexes whose outcome on a line of invalid UTF-8 may
	// depend on how many bytes were invalid where the captured text has one
	// U+FFFD (see fffdSafe); Regexes are not.
	RawRegexes []string `json:"raw_regexes"`
}

// compactKey returns what a search must share with the others of its
// compact class (its name regexes), or why it cannot be compact.
func compactKey(s Search) (string, string) {
	o := s.Options
	switch {
	case len(s.Names) == 0:
		return "", "no name regex"
	case len(s.Contents) == 0:
		return "", "no content regex"
	case !o.Macroal:
		return "", "not macroal"
	case !o.MatchAll:
		return "", "not matchall"
	case len(s.Sizes)+len(s.Modes)+len(s.Mtimes)+len(s.MD5)+len(s.SHA1)+len(s.SHA2)+len(s.SHA3) > 0:
		return "", "criteria beyond name and content"
	case o.ReturnSHA256 || o.Decompress:
		return "", "returnsha256 or decompress"
	}
	for _, m := range o.Mismatch {
		if m != "content" {
			return "", "mismatch " + m
		}
	}
	k, _ := json.Marshal(s.Names)
	return string(k), ""
}

func (s Search) maxDepth() int {
	if s.Options.MaxDepth > 0 {
		return int(s.Options.MaxDepth)
	}
	return -1
}

// cleanPaths are the search's paths as the collector walks them:
// absolute, cleaned, literal.
func (s Search) cleanPaths() []string {
	out := make([]string, 0, len(s.Paths))
	for _, p := range s.Paths {
		out = append(out, path.Clean(p))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// splitCompact picks the searches to write compact: those that fit, in
// classes of at least min searches, whose paths no other compact search
// overlaps and whose labels are their own. The rest stay per search.
func splitCompact(searches []labelled, min int) (compact, perSearch []labelled) {
	keys := make([]string, len(searches))
	owner := map[string]string{} // cleaned path → the key of the searches that have it ("" once two keys do)
	labels := map[string]int{}
	for i, ls := range searches {
		labels[ls.label]++
		k, why := compactKey(ls.s)
		if why != "" {
			continue
		}
		keys[i] = k
		for _, p := range ls.s.cleanPaths() {
			if prev, ok := owner[p]; ok && prev != k {
				k = ""
			}
			owner[p] = k
		}
	}
	// A path inside another compact path would make a file reachable from
	// two search paths; a path two classes share, two documents of one file.
	overlapped := map[string]bool{}
	for p, k := range owner {
		if k == "" {
			overlapped[p] = true
		}
		for q := path.Dir(p); ; q = path.Dir(q) {
			if _, ok := owner[q]; ok {
				overlapped[p], overlapped[q] = true, true
			}
			if q == "/" {
				break
			}
		}
	}
	fits := func(i int) bool {
		if keys[i] == "" || labels[searches[i].label] > 1 {
			return false
		}
		for _, p := range searches[i].s.cleanPaths() {
			if overlapped[p] {
				return false
			}
		}
		return true
	}
	count := map[string]int{}
	for i := range searches {
		if fits(i) {
			count[keys[i]]++
		}
	}
	for i, ls := range searches {
		if fits(i) && count[keys[i]] >= min {
			compact = append(compact, ls)
		} else {
			perSearch = append(perSearch, ls)
		}
	}
	return compact, perSearch
}

// writeCompact adds the compact searches to the bundle: their collect
// blocks and policy to body, the data files and module to out. used holds
// the identifiers taken by other blocks.
func writeCompact(out *Bundle, body *hclwrite.Body, name, action, severity string, searches []labelled, used map[string]bool) error {
	// Classes by their name regexes; within a class, blocks of paths.
	type class struct {
		names []string
		paths map[string]int // cleaned path → the deepest maxdepth of its searches (-1 unlimited)
	}
	classes := map[string]*class{}
	var classKeys []string
	for _, ls := range searches {
		k, _ := compactKey(ls.s)
		c := classes[k]
		if c == nil {
			c = &class{names: ls.s.Names, paths: map[string]int{}}
			classes[k] = c
			classKeys = append(classKeys, k)
		}
		for _, p := range ls.s.cleanPaths() {
			d, seen := c.paths[p]
			c.paths[p] = deeper(d, ls.s.maxDepth(), seen)
		}
	}
	var inputs []string
	for _, k := range classKeys {
		c := classes[k]
		paths := slices.Sorted(maps.Keys(c.paths))
		for start := 0; start < len(paths); start += compactPathsPerBlock {
			chunk := paths[start:min(start+compactPathsPerBlock, len(paths))]
			id := identifier(fmt.Sprintf("%s%04d", compactBlockPrefix, len(inputs)+1), used)
			inputs = append(inputs, id)
			depth, first := 0, true
			escaped := make([]string, len(chunk))
			for i, p := range chunk {
				escaped[i] = globEscape(p)
				depth = deeper(depth, c.paths[p], !first)
				first = false
			}
			body.AppendNewline()
			body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte(
				"# The files of the search paths below; the compact policy judges each\n# against the searches whose paths hold it.\n")}})
			cb := body.AppendNewBlock("collect", []string{"file", id}).Body()
			cb.SetAttributeValue("paths", list(escaped))
			cb.SetAttributeValue("name", list(c.names))
			if depth >= 0 {
				cb.SetAttributeValue("maxdepth", cty.NumberIntVal(int64(depth)))
			}
			// Every line holds the empty regex: the document then counts
			// the lines (match.content.lines), so that a capture cut short
			// is known, and says whether a line was too long.
			cb.SetAttributeValue("content", list([]string{""}))
			cb.SetAttributeValue("macroal", cty.True)
			cb.SetAttributeValue("capture", cty.True)
		}
	}

	// Data: the searches and, per path, which of them have it, in parts.
	dataNames := []string{}
	ident := identifier(name, map[string]bool{})
	for start := 0; start < len(searches); start += compactSearchesPerPart {
		part := struct {
			Searches map[string]compactSearch `json:"searches"`
			Paths    map[string][]string      `json:"paths"`
		}{Searches: map[string]compactSearch{}, Paths: map[string][]string{}}
		for _, ls := range searches[start:min(start+compactSearchesPerPart, len(searches))] {
			id := ls.label
			cs := compactSearch{Label: ls.label, MaxDepth: ls.s.maxDepth(), Mismatch: slices.Contains(ls.s.Options.Mismatch, "content")}
			for _, src := range ls.s.Contents {
				cs.Contents = append(cs.Contents, digestContent(src))
			}
			part.Searches[id] = cs
			for _, p := range ls.s.cleanPaths() {
				part.Paths[p] = append(part.Paths[p], id)
			}
		}
		dataName := fmt.Sprintf("mig_%s_%04d", ident, len(dataNames)+1)
		data, err := json.MarshalIndent(part, "", " ")
		if err != nil {
			return err
		}
		out.Files["data/"+dataName+".json"] = append(data, '\n')
		dataNames = append(dataNames, dataName)
	}

	body.AppendNewline()
	pb := body.AppendNewBlock("policy", []string{identifier(compactPolicyID, used)}).Body()
	pb.SetAttributeValue("title", cty.StringVal(fmt.Sprintf("MIG action %q: %d searches", action, len(searches))))
	refs := make([]hclwrite.Tokens, len(inputs))
	for i, id := range inputs {
		refs[i] = hclwrite.TokensForTraversal(hcl.Traversal{
			hcl.TraverseRoot{Name: "collect"}, hcl.TraverseAttr{Name: "file"}, hcl.TraverseAttr{Name: id}})
	}
	pb.SetAttributeRaw("input", hclwrite.TokensForTuple(refs))
	pb.SetAttributeRaw("rego", hclwrite.TokensForFunctionCall("file", hclwrite.TokensForValue(cty.StringVal(compactRegoFile))))
	out.Files[compactRegoFile] = compactRego(CompactPackageOf(name), action, severity, dataNames)
	return nil
}

// deeper is the larger of two maxdepths, -1 (unlimited) being the largest;
// with seen false, d is not yet set and n is the answer.
func deeper(d, n int, seen bool) int {
	switch {
	case !seen:
		return n
	case d < 0 || n < 0:
		return -1
	}
	return max(d, n)
}

// CompactPackageOf is the Rego package of the compact shape's module for the
// bundle named name: "assay.mig.NAME.compact".
func CompactPackageOf(name string) string { return PackageOf(name) + ".compact" }

// digestContent takes a MIG content regex apart for the compact policy: the
// alternatives of an anchored ^(…|…)$ that are a literal followed by .*
// become prefixes, plain literals exact lines, the others regexes of their
// own; a regex of any other form stays whole. Each part means on a line
// what the regex means on it: Go's regexp decides both.
func digestContent(src string) compactContent {
	c := compactContent{Prefixes: []string{}, Exact: []string{}, Regexes: []string{}, RawRegexes: []string{}}
	expr := src
	if len(src) > 1 && src[0] == '!' {
		c.Invert, expr = true, src[1:]
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	whole := func() compactContent {
		c.Prefixes, c.Exact, c.Regexes, c.RawRegexes = []string{}, []string{}, []string{}, []string{}
		if err == nil && fffdSafe(re, false) {
			c.Regexes = []string{expr}
		} else {
			c.RawRegexes = []string{expr}
		}
		return c
	}
	if err != nil {
		return whole() // unreachable: Convert checked every regex
	}
	body, ok := anchoredBody(re)
	if !ok {
		return whole()
	}
	seqs, ok := sequences(body, maxDigestedAlternatives)
	if !ok {
		return whole()
	}
	for _, seq := range seqs {
		lit, star, ok := literalPrefix(seq)
		switch {
		case ok && star:
			c.Prefixes = append(c.Prefixes, lit)
		case ok:
			c.Exact = append(c.Exact, lit)
		default:
			s, ok := regexOf(seq)
			if !ok {
				return whole()
			}
			if fffdSafe(&syntax.Regexp{Op: syntax.OpConcat, Sub: seq}, false) {
				c.Regexes = append(c.Regexes, "^(?:"+s+")$")
			} else {
				c.RawRegexes = append(c.RawRegexes, "^(?:"+s+")$")
			}
		}
	}
	c.Prefixes = dedupeStrings(c.Prefixes)
	c.Exact = dedupeStrings(c.Exact)
	c.Regexes = dedupeStrings(c.Regexes)
	c.RawRegexes = dedupeStrings(c.RawRegexes)
	return c
}

// fffdSafe reports whether the regex decides a line of invalid UTF-8 the
// same on its bytes as on the captured text. Go's regexp reads each
// invalid byte as one U+FFFD; the capture replaces each run of invalid
// bytes with one. The two differ only in how many U+FFFD follow one
// another, which a regex cannot tell when every node that can consume
// U+FFFD is a single character repeated by * (any run it takes on one
// side, it takes as one on the other, and a * may take none), and no \b
// or \B looks between them. starred says the parent is such a *.
func fffdSafe(re *syntax.Regexp, starred bool) bool {
	switch re.Op {
	case syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return false
	case syntax.OpLiteral:
		return !slices.Contains(re.Rune, utf8.RuneError)
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return starred
	case syntax.OpCharClass:
		if starred {
			return true
		}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= utf8.RuneError && utf8.RuneError <= re.Rune[i+1] {
				return false
			}
		}
		return true
	case syntax.OpStar:
		sub := re.Sub[0]
		single := sub.Op == syntax.OpAnyChar || sub.Op == syntax.OpAnyCharNotNL || sub.Op == syntax.OpCharClass ||
			(sub.Op == syntax.OpLiteral && len(sub.Rune) == 1)
		return fffdSafe(sub, single)
	}
	for _, sub := range re.Sub {
		if !fffdSafe(sub, false) {
			return false
		}
	}
	return true
}

func dedupeStrings(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// anchoredBody returns X of ^X$, where ^ and $ are the beginning and end
// of the text (Perl syntax without (?m)).
func anchoredBody(re *syntax.Regexp) (*syntax.Regexp, bool) {
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return nil, false
	}
	first, last := re.Sub[0], re.Sub[len(re.Sub)-1]
	if first.Op != syntax.OpBeginText || last.Op != syntax.OpEndText {
		return nil, false
	}
	inner := re.Sub[1 : len(re.Sub)-1]
	switch len(inner) {
	case 0:
		return &syntax.Regexp{Op: syntax.OpEmptyMatch}, true
	case 1:
		return inner[0], true
	}
	return &syntax.Regexp{Op: syntax.OpConcat, Sub: inner}, true
}

// sequences expands the regex into its alternatives, each a sequence of
// nodes that must match one after the other: groups are opened,
// alternations split and concatenations multiplied out, up to limit
// alternatives.
func sequences(re *syntax.Regexp, limit int) ([][]*syntax.Regexp, bool) {
	switch re.Op {
	case syntax.OpCapture:
		return sequences(re.Sub[0], limit)
	case syntax.OpEmptyMatch:
		return [][]*syntax.Regexp{{}}, true
	case syntax.OpAlternate:
		var out [][]*syntax.Regexp
		for _, sub := range re.Sub {
			s, ok := sequences(sub, limit)
			if !ok || len(out)+len(s) > limit {
				return nil, false
			}
			out = append(out, s...)
		}
		return out, true
	case syntax.OpConcat:
		out := [][]*syntax.Regexp{{}}
		for _, sub := range re.Sub {
			s, ok := sequences(sub, limit)
			if !ok || len(out)*len(s) > limit {
				return nil, false
			}
			next := make([][]*syntax.Regexp, 0, len(out)*len(s))
			for _, a := range out {
				for _, b := range s {
					next = append(next, append(slices.Clone(a), b...))
				}
			}
			out = next
		}
		return out, true
	}
	return [][]*syntax.Regexp{{re}}, true
}

// literalPrefix reads a sequence of literals, optionally ending in .*: the
// literal, and whether .* follows. A literal that folds case, or holds
// U+FFFD (which on a line of invalid UTF-8 matches a different number of
// bytes than in the captured text), is not one.
func literalPrefix(seq []*syntax.Regexp) (lit string, star, ok bool) {
	var b strings.Builder
	for i, n := range seq {
		switch {
		case n.Op == syntax.OpLiteral && n.Flags&syntax.FoldCase == 0:
			for _, r := range n.Rune {
				if r == utf8.RuneError {
					return "", false, false
				}
				b.WriteRune(r)
			}
		case i == len(seq)-1 && n.Op == syntax.OpStar && (n.Sub[0].Op == syntax.OpAnyCharNotNL || n.Sub[0].Op == syntax.OpAnyChar):
			// A line holds no newline: . and (?s). match the same there.
			return b.String(), true, true
		default:
			return "", false, false
		}
	}
	return b.String(), false, true
}

// regexOf writes a sequence as a regex, and checks that parsing it again
// gives the same expression.
func regexOf(seq []*syntax.Regexp) (string, bool) {
	var n *syntax.Regexp
	switch len(seq) {
	case 0:
		n = &syntax.Regexp{Op: syntax.OpEmptyMatch}
	case 1:
		n = seq[0]
	default:
		n = &syntax.Regexp{Op: syntax.OpConcat, Sub: seq}
	}
	s := n.String()
	back, err := syntax.Parse(s, syntax.Perl)
	if err != nil {
		return "", false
	}
	return s, back.Simplify().Equal(n.Simplify())
}

// compactRego is the compact shape's module: it finds the searches whose
// paths hold the document at a depth they examine, and applies each one's
// content allow-lists to the captured lines as the collector would have.
func compactRego(pkg, action, severity string, dataNames []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `# Generated by assay mig import from MIG action %s: the compact shape.
# Each document is a file that a name regex of the searches matched, with
# its lines; it is judged against every search whose path holds it, with
# that search's content allow-lists, as the search's own collect block
# would have judged it (docs/collectors/file.md, "mig import").

# METADATA
# description: >-
#   Reports every file that a MIG search of the investigation matches, with
#   the criteria the search lists under mismatch inverted, at the line that
#   decided it: the first line that failed the content regexes, else the
#   first line.
# custom:
#   severity: %s
#   enforcement: mandatory
package %s

deny contains finding if {
	some id, v in verdicts
	v.report
	finding := {
		"msg": sprintf("%%s matches MIG search %%q", [input.path, v.label]),
		"path": input.path,
		"line": v.line,
	}
}

deny contains finding if {
	some id, v in verdicts
	v.unknown
	finding := {
		"msg": sprintf("%%s: MIG search %%q cannot be judged from its captured lines (%%s); import it with --shape per-search to judge it", [input.path, v.label, v.why]),
		"path": input.path,
	}
}

warn contains finding if {
	input.type == "symlink"
	some s in searches
	finding := {
		"msg": sprintf("%%s is a symbolic link to %%s, not followed: MIG search %%q did not inspect its target", [input.path, input.link, s.label]),
		"path": input.path,
	}
}

# The document's depth below the search path that found it (input.root:
# no other compact search's paths contain it or lie inside it, so it is the
# search path, and the searches that have it are the ones whose paths hold
# the document).
depth := n if {
	input.root != "/"
	n := count(split(trim_prefix(input.path, input.root), "/")) - 1
} else := count(split(trim_prefix(input.path, "/"), "/"))

reaches(maxdepth, _) if maxdepth < 0

reaches(maxdepth, depth) if depth <= maxdepth

# Each search's outcome on a file: whether it reports it and at which line,
# or why the captured lines cannot tell.
verdicts[id] := v if {
	input.type == "file"
	some id, s in searches
	states := [line_state(s.contents, l) | some l in input.content.lines]
	v := object.union(decide(s.mismatch, states), {"label": s.label})
}

# How a captured line fares: "bad" when some content regex certainly fails
# on it, "unsure" when a regex would decide it but the line held invalid
# UTF-8 (the captured text has U+FFFD where the file had bytes that the
# regex saw one by one), else "ok".
line_state(contents, l) := worst([item(c, l) | some c in contents])

worst(items) := "bad" if {
	"no" in items
} else := "unsure" if {
	"unsure" in items
} else := "ok"

item(c, l) := holds(true, c.invert) if {
	literal(c, l)
} else := holds(true, c.invert) if {
	regex_any(c.regexes, l)
} else := "unsure" if {
	count(c.raw_regexes) > 0
	input.content.invalid_utf8
	contains(l, "\uFFFD")
} else := holds(regex_any(c.raw_regexes, l), c.invert)

holds(matched, invert) := "yes" if matched != invert

else := "no"

# One built-in call each, not a Rego loop over the allow-list: lines are
# many and allow-lists of keys are long.
literal(c, l) if strings.any_prefix_match(l, c.prefixes)

literal(c, l) if l in c.exact

default regex_any(_, _) := false

regex_any(regexes, l) if {
	some r in regexes
	regex.match(r, l)
}

# Every line must hold (macroal): the first line that fails decides, unless
# a line before it cannot be judged, or the capture stopped before any
# failed. With mismatch, a file is reported when some line fails, at that
# line; without, when none does, at its first line. Each first is found in
# one pass over the lines: a file of many failing lines costs no more.
decide(mismatch, states) := {"report": mismatch, "line": bad + 1, "unknown": false} if {
	bad := first(states, "bad")
	not unsure_before(states, bad)
} else := {"report": false, "unknown": true, "why": sprintf("line %%d held invalid UTF-8", [i + 1])} if {
	i := first(states, "unsure")
} else := {"report": false, "unknown": true, "why": "the file is larger than the 1 MiB captured"} if {
	count(states) < input.match.content.lines
} else := {"report": mismatch == false, "line": min([1, count(states)]), "unknown": false}

# The index of the first line in state s; undefined when there is none.
first(states, s) := found[0] if {
	found := [i | some i, x in states; x == s]
	count(found) > 0
}

unsure_before(states, i) if first(states, "unsure") < i
`, regoString(action), severity, pkg)
	// The searches that examine the document: those whose path found it,
	// within their maxdepth. Each data file has its rules: looking the
	// path up in each is cheaper than gathering them.
	for _, n := range dataNames {
		fmt.Fprintf(&b, `
searches[id] := s if {
	some id in data.%[1]s.paths[input.root]
	s := data.%[1]s.searches[id]
	reaches(s.maxdepth, depth)
}
`, n)
	}
	return []byte(b.String())
}
