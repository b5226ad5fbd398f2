package bundle

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/internal/hclguard"
)

// Loader loads bundles. It knows the collector types and data kinds a
// bundle may name; nothing else is global, so two loaders (a test's fakes,
// the binary's real types) never interfere.
type Loader struct {
	// Collectors are the collector types collect blocks may name.
	Collectors *collector.Registry
	// DataKinds are the data kinds data blocks may name; nil means only
	// "file".
	DataKinds *DataKinds
	// SkipTests leaves the test modules (*_test.rego) unread: for a run
	// that only judges, over bundles whose tests are run elsewhere (the
	// built-in ones, by make test). Bundle.Tests is then empty.
	SkipTests bool
}

// A nil *Loader loads bundles that name no collector type and no data
// kind but "file".

func (ld *Loader) dataKinds() *DataKinds {
	if ld == nil || ld.DataKinds == nil {
		return NewDataKinds()
	}
	return ld.DataKinds
}

// collectors returns the collector types; a nil Loader knows none.
func (ld *Loader) collectors() *collector.Registry {
	if ld == nil {
		return nil
	}
	return ld.Collectors
}

// Load loads the bundle at source: a directory, or a .tar.gz (.tgz) of one.
//
// It always returns a Bundle. When diags has errors the Bundle is partial and
// must not be evaluated, but its Files hold every file that was read, so the
// caller can render the diagnostics with source snippets
// (hcl.NewDiagnosticTextWriter(w, b.Files, width, color)).
func (ld *Loader) Load(ctx context.Context, source string) (*Bundle, hcl.Diagnostics) {
	fi, err := os.Stat(source)
	if err != nil {
		return newBundle(source, source), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read bundle",
			Detail:   fmt.Sprintf("The bundle %q cannot be read: %s.", source, describeErr(err)),
		}}
	}
	switch {
	case fi.IsDir():
		root, err := os.OpenRoot(source)
		if err != nil {
			return newBundle(source, source), hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Cannot read bundle",
				Detail:   fmt.Sprintf("The bundle directory %q cannot be opened: %s.", source, describeErr(err)),
			}}
		}
		defer root.Close()
		// root.FS confines every read, symlinks included, to the directory:
		// file("../x") and a symlink to /etc/passwd both fail.
		return ld.load(ctx, root.FS(), filepath.Clean(source), source)
	case IsArchive(source) && fi.Mode().IsRegular():
		fsys, diags := extractArchive(ctx, source)
		if diags.HasErrors() {
			return newBundle(source, source), diags
		}
		b, more := ld.load(ctx, fsys, filepath.Clean(source), source)
		return b, append(diags, more...)
	default:
		return newBundle(source, source), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Not a bundle",
			Detail:   fmt.Sprintf("%q is neither a directory nor a .tar.gz archive of one (a regular file).", source),
		}}
	}
}

// LoadFS loads a bundle from a file system, such as the embed.FS of the
// built-in bundles. displayRoot prefixes file names in diagnostics and is
// the bundle's Source; it is never opened.
func (ld *Loader) LoadFS(ctx context.Context, fsys fs.FS, displayRoot string) (*Bundle, hcl.Diagnostics) {
	return ld.load(ctx, fsys, displayRoot, displayRoot)
}

// LoadAll loads every source and checks that the bundles can run together:
// no two bundles with one name, no data key defined twice with different
// values, no two policies judging with one Rego package. It returns every
// bundle it could read, even when diags has errors (see Load).
func (ld *Loader) LoadAll(ctx context.Context, sources []string) ([]*Bundle, hcl.Diagnostics) {
	var (
		bundles []*Bundle
		diags   hcl.Diagnostics
	)
	for _, src := range sources {
		if err := ctx.Err(); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Loading cancelled", Detail: err.Error()})
			break
		}
		b, more := ld.Load(ctx, src)
		bundles = append(bundles, b)
		diags = append(diags, more...)
	}
	return bundles, append(diags, Conflicts(bundles)...)
}

// Files merges the Files of several bundles, for rendering diagnostics that
// span them.
func Files(bundles ...*Bundle) map[string]*hcl.File {
	out := map[string]*hcl.File{}
	for _, b := range bundles {
		if b == nil {
			continue
		}
		for name, f := range b.Files {
			out[name] = f
		}
	}
	return out
}

func newBundle(displayRoot, source string) *Bundle {
	name := filepath.Base(filepath.Clean(displayRoot))
	for _, ext := range archiveExts {
		name = strings.TrimSuffix(name, ext)
	}
	return &Bundle{
		Name:        name,
		Source:      source,
		RegoVersion: ast.RegoV1,
		Data:        map[string]any{},
		Files:       map[string]*hcl.File{},
		dataRanges:  map[string]hcl.Range{},
	}
}

// loader holds the state of loading one bundle.
type loader struct {
	ctx        context.Context
	collectors *collector.Registry
	dataKinds  *DataKinds
	fsys       fs.FS
	root       string // display root: prefix of file names in diagnostics
	b          *Bundle
	diags      hcl.Diagnostics

	evalCtx *hcl.EvalContext

	hclFiles  []string // bundle-relative paths, sorted
	regoFiles []string
	dataFiles []string

	// modules by bundle-relative path, for rego = file("…").
	modules map[string]*Module
	// byPackage indexes the parsed modules of Bundle.Modules by package
	// path (ast.Ref.String), in load order; see addModule.
	byPackage map[string][]*Module
	// claimed are the files data blocks read: they are not also exposed
	// under their base name.
	claimed map[string]bool
	// trimmed are the data files whose entry in Bundle.Files holds only
	// their first line (loadDataFiles): readFile reads them again.
	trimmed map[string]bool
	// collects declared, by ID, even those whose body had errors, so a
	// policy referring to them gets no second error.
	collects map[string]hcl.Range
	// skipTests: Loader.SkipTests.
	skipTests bool
}

func (ld *Loader) load(ctx context.Context, fsys fs.FS, displayRoot, source string) (*Bundle, hcl.Diagnostics) {
	l := &loader{
		ctx:        ctx,
		collectors: ld.collectors(),
		dataKinds:  ld.dataKinds(),
		fsys:       fsys,
		root:       displayRoot,
		b:          newBundle(displayRoot, source),
		modules:    map[string]*Module{},
		byPackage:  map[string][]*Module{},
		claimed:    map[string]bool{},
		trimmed:    map[string]bool{},
		collects:   map[string]hcl.Range{},
		skipTests:  ld != nil && ld.SkipTests,
	}
	l.evalCtx = newEvalContext(l)
	l.run()
	return l.b, l.diags
}

func (l *loader) errorf(subject *hcl.Range, summary, detail string, args ...any) {
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  subject,
	})
}

// display is the file name used in diagnostics for a bundle-relative path.
func (l *loader) display(rel string) string {
	if l.root == "" || l.root == "." {
		return rel
	}
	return l.root + "/" + rel
}

func (l *loader) run() {
	l.walk()
	if len(l.hclFiles) == 0 {
		if len(l.regoFiles) == 0 {
			l.errorf(nil, "Empty bundle", "The bundle %q has no .hcl and no .rego file.", l.root)
			return
		}
		l.b.Implicit = true
		l.loadModules(true)
		l.ignoreDataFiles()
		l.implicitPolicies()
		l.checkPackages()
		return
	}

	contents, ok := l.parseHCL()
	if !ok {
		// With a syntax error the blocks are partial: decoding them would
		// add errors that are only echoes of it. Rego and data files are
		// independent, so their mistakes are still reported.
		l.loadModules(false)
		l.loadDataFiles()
		return
	}
	var blocks hcl.Blocks
	for _, c := range contents {
		blocks = append(blocks, c.Blocks...)
	}
	l.bundleBlocks(blocks.OfType("bundle"))
	l.paramBlocks(blocks.OfType("param"))
	l.loadModules(false)
	l.dataBlocks(blocks.OfType("data"))
	l.loadDataFiles()
	l.collectBlocks(blocks.OfType("collect"))
	l.policyBlocks(blocks.OfType("policy"))
	l.checkPackages()
}

// parseHCL parses the HCL files; ok is false when one has a syntax error.
// Files are read in order, parsed concurrently (parsing is pure, and large
// generated bundles, such as an imported MIG investigation, come in several
// files), and their results taken in order, so diagnostics do not depend on
// scheduling.
func (l *loader) parseHCL() (contents []*hcl.BodyContent, ok bool) {
	type parsed struct {
		display string
		src     []byte
		file    *hcl.File
		diags   hcl.Diagnostics
		content *hcl.BodyContent
	}
	files := make([]*parsed, 0, len(l.hclFiles))
	for _, rel := range l.hclFiles {
		src, display, err := l.readFile(rel)
		if err != nil {
			l.errorf(nil, "Cannot read file", "Reading %s: %s.", l.display(rel), describeErr(err))
			continue
		}
		files = append(files, &parsed{display: display, src: src})
	}
	parse := func(p *parsed) {
		// Through hclguard: a file nested too deeply would overflow
		// hclsyntax's stack, which kills the process.
		p.file, p.diags = hclguard.Parse(p.src, p.display, hclguard.Limits{MaxBytes: maxFileSize})
		if p.diags.HasErrors() || p.file == nil || p.file.Body == nil {
			return
		}
		content, diags := p.file.Body.Content(rootSchema)
		p.content = content
		p.diags = append(p.diags, diags...)
	}
	parallel(len(files), func(i int) { parse(files[i]) })
	ok = true
	for _, p := range files {
		l.diags = append(l.diags, p.diags...)
		if p.file != nil {
			l.b.Files[p.display] = p.file
		}
		if p.content == nil {
			ok = false
			continue
		}
		contents = append(contents, p.content)
	}
	return contents, ok
}

// bundleBlocks decodes the bundle block; a bundle has at most one.
func (l *loader) bundleBlocks(blocks hcl.Blocks) {
	for i, block := range blocks {
		if i > 0 {
			l.errorf(&block.DefRange, "Duplicate bundle block",
				"A bundle has one bundle block; the first is at %s.", blocks[0].DefRange)
			continue
		}
		bb, diags := decodeBundle(block, l.evalCtx)
		l.diags = append(l.diags, diags...)
		l.b.Name = bb.Name
		l.b.Version = bb.Version
		l.b.Description = bb.Description
		l.b.RegoVersion = bb.RegoVersion
		l.b.DeclRange = block.DefRange
	}
}

func (l *loader) dataBlocks(blocks hcl.Blocks) {
	for _, block := range blocks {
		name := block.Labels[1]
		src, diags := decodeData(block, l.dataKinds, &DataEnv{EvalContext: l.evalCtx, l: l})
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() || src == nil {
			continue
		}
		if kind, _ := l.dataKinds.Lookup(block.Labels[0]); kind.Live {
			l.setLive(&LiveData{Name: name, Kind: kind.Name, Source: src, DeclRange: block.DefRange}, block.LabelRanges[1])
			continue
		}
		value, diags := src.Read(l.ctx)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		l.setData(name, value, block.LabelRanges[1])
	}
}

// setData exposes value at data.<name>, refusing a second definition.
func (l *loader) setData(name string, value any, rng hcl.Range) {
	if l.claimDataName(name, rng) {
		l.b.Data[name] = value
	}
}

func (l *loader) collectBlocks(blocks hcl.Blocks) {
	for _, block := range blocks {
		id := block.Labels[0] + "." + block.Labels[1]
		if prev, dup := l.collects[id]; dup {
			l.errorf(&block.DefRange, "Duplicate collect block",
				"A collect block %q %q is already declared at %s.", block.Labels[0], block.Labels[1], prev)
			continue
		}
		l.collects[id] = block.DefRange
		c, diags := decodeCollect(block, l.collectors, l.evalCtx)
		l.diags = append(l.diags, diags...)
		if c != nil && !diags.HasErrors() {
			l.b.Collects = append(l.b.Collects, c)
		}
	}
}

func (l *loader) policyBlocks(blocks hcl.Blocks) {
	ids := map[string]hcl.Range{}
	for _, block := range blocks {
		pb, diags := decodePolicy(block, l.evalCtx)
		l.diags = append(l.diags, diags...)
		id := block.Labels[0]
		if prev, dup := ids[id]; dup {
			l.errorf(&block.LabelRanges[0], "Duplicate policy",
				"A policy %q is already declared at %s; policy ids are unique in a bundle.", id, prev)
			continue
		}
		ids[id] = block.DefRange
		if pb == nil {
			continue
		}
		ok := !diags.HasErrors()
		ok = l.resolveInputs(pb) && ok
		ok = l.resolveRego(pb) && ok
		if !ok {
			continue
		}
		l.refine(pb.Policy, pb.set)
		l.b.Policies = append(l.b.Policies, pb.Policy)
	}
}

// resolveInputs checks every collect.KIND.NAME reference.
func (l *loader) resolveInputs(pb *policyBlock) bool {
	ok := true
	for _, in := range pb.inputs {
		if _, declared := l.collects[in.id]; declared {
			pb.Policy.Inputs = append(pb.Policy.Inputs, in.id)
			continue
		}
		ok = false
		known := make([]string, 0, len(l.collects))
		for id := range l.collects {
			known = append(known, id)
		}
		sort.Strings(known)
		detail := fmt.Sprintf("No collect block declares %q.", "collect."+in.id)
		if s := suggest(in.id, known); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", "collect."+s)
		} else if len(known) > 0 {
			detail += " Declared: collect." + strings.Join(known, ", collect.") + "."
		} else {
			detail += ` Declare one with collect "KIND" "NAME" { … }.`
		}
		l.errorf(in.rng.Ptr(), "Reference to undeclared collector", "%s", detail)
	}
	return ok
}

// rangePtr returns nil for an empty range, so diagnostics without a place
// render without a bogus "on  line 0".
func rangePtr(r hcl.Range) *hcl.Range {
	if r.Filename == "" {
		return nil
	}
	return &r
}

// collectorType looks up a collector type, with a "did you mean" diagnostic.
func collectorType(types *collector.Registry, name string, rng hcl.Range) (collector.Type, *hcl.Diagnostic) {
	if t, ok := types.Lookup(name); ok {
		return t, nil
	}
	known := types.Names()
	detail := fmt.Sprintf("There is no collector kind %q.", name)
	if s := suggest(name, known); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	} else if len(known) > 0 {
		detail += " Known kinds: " + strings.Join(known, ", ") + "."
	}
	return collector.Type{}, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unknown collector kind",
		Detail:   detail,
		Subject:  rng.Ptr(),
	}
}
