package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/core/report"
)

// RuleRE matches the names of the rules a policy reports through, as
// conftest names them: deny, violation and warn, and their deny_* variants.
var RuleRE = regexp.MustCompile(`^(deny|violation|warn)(_[a-zA-Z0-9_]+)?$`)

func isTest(rel string) bool { return strings.HasSuffix(rel, "_test.rego") }

// loadModules parses every .rego file of the bundle, but for the test
// modules under Loader.SkipTests, which it leaves out before anything is
// read. With fallback (implicit, conftest-style bundles) a module that is
// not valid v1 Rego is parsed again as v0 and keeps that version; OPA's
// compiler mixes versions.
//
// The files are read in order and parsed side by side, one per core: the
// parser is most of the time a bundle takes to load, and start-up waits on
// it. Results are then taken in file order, so diagnostics and modules come
// out as they would one by one.
func (l *loader) loadModules(fallback bool) {
	files := l.regoFiles
	if l.skipTests {
		files = slices.DeleteFunc(slices.Clone(files), isTest)
	}
	mods := make([]*Module, len(files))
	errs := make([]error, len(mods)) // of the read, else of the parse
	for i, rel := range files {
		src, display, err := l.readFile(rel)
		if err != nil {
			errs[i] = err
			continue
		}
		mods[i] = &Module{Name: display, Filename: display, Source: src}
	}
	parallel(len(mods), func(i int) {
		if mods[i] != nil {
			errs[i] = parseModule(mods[i], l.b.RegoVersion, fallback)
		}
	})
	for i, rel := range files {
		m := mods[i]
		if m == nil {
			l.errorf(nil, "Cannot read file", "Reading %s: %s.", l.display(rel), describeErr(errs[i]))
			continue
		}
		l.modules[rel] = m
		if errs[i] != nil {
			l.diags = append(l.diags, l.locator().diagnostics(errs[i])...)
			continue
		}
		if isTest(rel) {
			l.b.Tests = append(l.b.Tests, m)
		} else {
			l.addModule(m)
		}
	}
}

// parallel calls fn(0) … fn(n-1), as many at once as there are cores, and
// returns when all have returned.
func parallel(n int, fn func(int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// addModule adds a parsed module to the bundle and to the index by package
// that refine reads, so that finding a policy's modules costs one lookup
// rather than a pass over every module (a bundle of thousands of policies
// would otherwise load in quadratic time).
func (l *loader) addModule(m *Module) {
	l.b.Modules = append(l.b.Modules, m)
	if m.Parsed != nil {
		key := m.Parsed.Package.Path.String()
		l.byPackage[key] = append(l.byPackage[key], m)
	}
}

func parseModule(m *Module, version ast.RegoVersion, fallback bool) error {
	opts := ast.ParserOptions{ProcessAnnotation: true, RegoVersion: version}
	parsed, err := ast.ParseModuleWithOpts(m.Filename, string(m.Source), opts)
	if err != nil && fallback && version == ast.RegoV1 {
		opts.RegoVersion = ast.RegoV0
		if p0, err0 := ast.ParseModuleWithOpts(m.Filename, string(m.Source), opts); err0 == nil {
			parsed, err = p0, nil
		}
	}
	if err != nil {
		return err
	}
	if parsed == nil {
		return ast.Errors{ast.NewError(ast.ParseErr, &ast.Location{File: m.Filename, Row: 1, Col: 1}, "empty module")}
	}
	m.Parsed = parsed
	return nil
}

// resolveRego finds or builds the policy's module from its rego attribute:
// file("x.rego") names one of the bundle's modules; anything else is
// inline Rego.
func (l *loader) resolveRego(pb *policyBlock) bool {
	attr := pb.regoAttr
	if attr == nil {
		return false
	}
	if call, ok := attr.Expr.(*hclsyntax.FunctionCallExpr); ok && call.Name == "file" && len(call.Args) == 1 {
		return l.resolveRegoFile(pb, call)
	}
	var src string
	diags := decodeExpr(attr.Expr, l.evalCtx, &src)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return false
	}
	// Pad the module with newlines so that OPA's rows are the HCL file's
	// lines: errors and findings then point into the HCL file.
	start := attr.Expr.Range().Start.Line
	if t, ok := attr.Expr.(*hclsyntax.TemplateExpr); ok && len(t.Parts) > 0 {
		start = t.Parts[0].Range().Start.Line
	}
	filename := attr.Expr.Range().Filename
	m := &Module{
		Name:     fmt.Sprintf("%s#policy.%s", filename, pb.ID),
		Filename: filename,
		Source:   []byte(strings.Repeat("\n", start-1) + src),
		Inline:   true,
	}
	if f := l.b.Files[filename]; f != nil {
		m.shift = indentShift(f.Bytes, start, src)
	}
	if err := parseModule(m, l.b.RegoVersion, false); err != nil {
		l.diags = append(l.diags, l.locator(m).diagnostics(err)...)
		return false
	}
	l.addModule(m)
	pb.Module, pb.Package = m, m.Parsed.Package.Path
	return true
}

func (l *loader) resolveRegoFile(pb *policyBlock, call *hclsyntax.FunctionCallExpr) bool {
	arg := call.Args[0]
	var name string
	diags := decodeExpr(arg, l.evalCtx, &name)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return false
	}
	fail := func(err error) bool {
		l.errorf(arg.Range().Ptr(), "Error in function call", "Call to function \"file\" failed: %s.", describeErr(err))
		return false
	}
	rel, err := bundlePath(name)
	if err != nil {
		return fail(err)
	}
	if isTest(rel) {
		return fail(fmt.Errorf("%q is a test module (*_test.rego); a policy's rego cannot be one", name))
	}
	m, ok := l.modules[rel]
	if !ok {
		// Not found by the walk (a hidden directory, another extension):
		// read and parse it now.
		src, display, err := l.readFile(rel)
		if err != nil {
			return fail(err)
		}
		m = &Module{Name: display, Filename: display, Source: src}
		l.modules[rel] = m
		if err := parseModule(m, l.b.RegoVersion, false); err != nil {
			l.diags = append(l.diags, l.locator().diagnostics(err)...)
			return false
		}
		l.addModule(m)
	}
	if m.Parsed == nil {
		return false // its parse errors are reported already
	}
	pb.Module, pb.Package = m, m.Parsed.Package.Path
	return true
}

// indentShift returns, per row, how many bytes of indentation the HCL
// heredoc (<<-EOT) stripped from that line of the Rego.
func indentShift(hclSrc []byte, start int, rego string) map[int]int {
	shift := map[int]int{}
	for i, line := range strings.Split(rego, "\n") {
		h := lineOf(hclSrc, start+i)
		if line != "" && len(h) > len(line) && bytes.HasSuffix(h, []byte(line)) {
			shift[start+i] = len(h) - len(line)
		}
	}
	return shift
}

// lineStart returns the byte offset of 1-based line row in src, clamped.
func lineStart(src []byte, row int) int {
	off := 0
	for r := 1; r < row; r++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	return off
}

func lineOf(src []byte, row int) []byte {
	off := lineStart(src, row)
	line := src[off:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	return bytes.TrimSuffix(line, []byte("\r"))
}

// regoLocator turns OPA locations into HCL ranges in the bundle's files.
type regoLocator struct {
	files map[string]*hcl.File
	// inline modules by file name: their shifts apply to their rows.
	inline map[string][]*Module
}

func (l *loader) locator(extra ...*Module) regoLocator {
	return newLocator(l.b.Files, append(append([]*Module(nil), l.b.Modules...), extra...))
}

func newLocator(files map[string]*hcl.File, modules []*Module) regoLocator {
	loc := regoLocator{files: files, inline: map[string][]*Module{}}
	for _, m := range modules {
		if m.Inline {
			loc.inline[m.Filename] = append(loc.inline[m.Filename], m)
		}
	}
	return loc
}

// RegoDiagnostics converts errors of OPA's parser or compiler about the
// bundles' modules into diagnostics pointing at the .rego file, or at the
// HCL file for inline Rego. Render them with Files(bundles...).
func RegoDiagnostics(err error, bundles ...*Bundle) hcl.Diagnostics {
	var modules []*Module
	for _, b := range bundles {
		modules = append(modules, b.Modules...)
		modules = append(modules, b.Tests...)
	}
	return newLocator(Files(bundles...), modules).diagnostics(err)
}

func (r regoLocator) diagnostics(err error) hcl.Diagnostics {
	var errs ast.Errors
	var one *ast.Error
	switch {
	case errors.As(err, &errs):
	case errors.As(err, &one):
		errs = ast.Errors{one}
	default:
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Rego error", Detail: err.Error()}}
	}
	diags := make(hcl.Diagnostics, 0, len(errs))
	for _, e := range errs {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  regoSummary(e.Code),
			Detail:   sentence(e.Message),
			Subject:  r.rangeOf(e.Location),
		})
	}
	return diags
}

// regoSummary turns "rego_parse_error" into "Rego parse error".
func regoSummary(code string) string {
	s := strings.ReplaceAll(strings.TrimPrefix(code, "rego_"), "_", " ")
	if s == "" {
		return "Rego error"
	}
	return "Rego " + s
}

func sentence(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = strings.ToUpper(string(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func (r regoLocator) rangeOf(loc *ast.Location) *hcl.Range {
	if loc == nil || loc.File == "" {
		return nil
	}
	row, col := max(loc.Row, 1), max(loc.Col, 1)
	f := r.files[loc.File]
	if f == nil {
		return &hcl.Range{Filename: loc.File,
			Start: hcl.Pos{Line: row, Column: col}, End: hcl.Pos{Line: row, Column: col + 1}}
	}
	shift := 0
	for _, m := range r.inline[loc.File] {
		if s, ok := m.shift[row]; ok {
			shift = s
			break
		}
	}
	line := lineOf(f.Bytes, row)
	start := lineStart(f.Bytes, row)
	// Walk col-1 runes past the stripped indentation to find the byte.
	b := min(shift, len(line))
	for i := 1; i < col && b < len(line); i++ {
		_, n := utf8.DecodeRune(line[b:])
		b += n
	}
	text := loc.Text
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	width := max(utf8.RuneCount(text), 1)
	e := b
	for i := 0; i < width && e < len(line); i++ {
		_, n := utf8.DecodeRune(line[e:])
		e += n
	}
	startCol := utf8.RuneCount(line[:b]) + 1
	return &hcl.Range{
		Filename: loc.File,
		Start:    hcl.Pos{Line: row, Column: startCol, Byte: start + b},
		End:      hcl.Pos{Line: row, Column: startCol + utf8.RuneCount(line[b:e]), Byte: start + e},
	}
}

// regoMeta is what a module's METADATA annotations say about a policy.
type regoMeta struct {
	title, description, remediation string
	severity                        string
	enforcement                     string
	controls                        []string
	// where severity and enforcement were set, for diagnostics.
	severityLoc, enforcementLoc *ast.Location
}

// refine fills the policy fields the HCL left unset from the METADATA
// annotations of the policy's package: package-scoped annotations first,
// then those on its deny/violation/warn rules.
func (l *loader) refine(p *Policy, set map[string]bool) {
	p.Refined = true
	var meta regoMeta
	var pkgAnns, ruleAnns []*ast.Annotations
	for _, m := range l.byPackage[p.Package.String()] {
		for _, a := range m.Parsed.Annotations {
			switch a.Scope {
			case "package", "subpackages":
				pkgAnns = append(pkgAnns, a)
			case "rule", "document":
				if path := a.GetTargetPath(); len(path) > len(p.Package) {
					if RuleRE.MatchString(strings.Trim(path[len(p.Package)].Value.String(), `"`)) {
						ruleAnns = append(ruleAnns, a)
					}
				}
			}
		}
	}
	for _, a := range append(pkgAnns, ruleAnns...) {
		meta.merge(a)
	}
	if !set["title"] && meta.title != "" {
		p.Title = meta.title
	}
	if p.Title == "" {
		p.Title = p.ID
	}
	if !set["description"] && meta.description != "" {
		p.Description = meta.description
	}
	if !set["remediation"] && meta.remediation != "" {
		p.Remediation = meta.remediation
	}
	if !set["controls"] && meta.controls != nil {
		p.Controls = meta.controls
	}
	if !set["severity"] && meta.severity != "" {
		if sev, err := report.ParseSeverity(meta.severity); err != nil {
			l.errorf(l.locator().rangeOf(meta.severityLoc), "Invalid severity",
				"METADATA custom.severity %q is not one of %s.", meta.severity, strings.Join(report.SeverityNames(), ", "))
		} else {
			p.Severity = sev
		}
	}
	if !set["enforcement"] && meta.enforcement != "" {
		if e, err := report.ParseEnforcement(meta.enforcement); err != nil {
			l.errorf(l.locator().rangeOf(meta.enforcementLoc), "Invalid enforcement",
				"METADATA custom.enforcement %q is not one of advisory, mandatory.", meta.enforcement)
		} else {
			p.Enforcement = e
		}
	}
}

// merge takes from a the fields meta does not have yet.
func (meta *regoMeta) merge(a *ast.Annotations) {
	if meta.title == "" {
		meta.title = a.Title
	}
	if meta.description == "" {
		meta.description = a.Description
	}
	if s, ok := a.Custom["remediation"].(string); ok && meta.remediation == "" {
		meta.remediation = s
	}
	if s, ok := a.Custom["severity"].(string); ok && meta.severity == "" {
		meta.severity, meta.severityLoc = s, keyLocation(a, "severity:")
	}
	if s, ok := a.Custom["enforcement"].(string); ok && meta.enforcement == "" {
		meta.enforcement, meta.enforcementLoc = s, keyLocation(a, "enforcement:")
	}
	if meta.controls == nil {
		switch c := a.Custom["controls"].(type) {
		case string:
			meta.controls = []string{c}
		case []any:
			for _, v := range c {
				meta.controls = append(meta.controls, fmt.Sprint(v))
			}
		}
	}
}

// keyLocation finds the line of a METADATA block that sets key, so that a
// bad value is pointed at rather than the block's first line.
func keyLocation(a *ast.Annotations, key string) *ast.Location {
	loc := a.Location
	if loc == nil {
		return nil
	}
	end := loc.Row + 100
	if e := a.EndLoc(); e != nil {
		end = e.Row
	}
	// Location.Text is the whole comment block, one line per row.
	for i, line := range strings.Split(string(loc.Text), "\n") {
		if loc.Row+i > end {
			break
		}
		if j := strings.Index(line, key); j >= 0 {
			return &ast.Location{File: loc.File, Row: loc.Row + i, Col: j + 1, Text: []byte(strings.TrimSpace(line[j:]))}
		}
	}
	return loc
}

// implicitPolicies makes a policy of every package that has deny,
// violation or warn rules, as conftest would evaluate it.
func (l *loader) implicitPolicies() {
	var order []string
	first := map[string]*Module{}
	judges := map[string]bool{}
	for _, m := range l.b.Modules {
		key := m.Parsed.Package.Path.String()
		if _, ok := first[key]; !ok {
			first[key] = m
			order = append(order, key)
		}
		for _, r := range m.Parsed.Rules {
			if name, ok := ruleName(r); ok && RuleRE.MatchString(name) {
				judges[key] = true
			}
		}
	}
	loc := l.locator() // once: building it visits every module
	for _, key := range order {
		if !judges[key] {
			continue
		}
		m := first[key]
		p := &Policy{
			ID:          strings.TrimPrefix(key, "data."),
			Severity:    report.SeverityMedium,
			Enforcement: report.Mandatory,
			Mode:        PerDocument,
			Package:     m.Parsed.Package.Path,
			Module:      m,
		}
		if r := loc.rangeOf(m.Parsed.Package.Location); r != nil {
			p.DeclRange = *r
		}
		l.refine(p, nil)
		l.b.Policies = append(l.b.Policies, p)
	}
	if len(l.b.Policies) == 0 && len(l.b.Modules) > 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "No policies",
			Detail:   fmt.Sprintf("The bundle %q has Rego modules but no package with deny, violation or warn rules, so nothing will be judged.", l.root),
		})
	}
}

// ruleName is the first part of a rule's head: "deny" for deny contains msg
// and for deny.x := 1.
func ruleName(r *ast.Rule) (string, bool) {
	ref := r.Head.Ref()
	if len(ref) == 0 {
		return "", false
	}
	v, ok := ref[0].Value.(ast.Var)
	return string(v), ok
}
