package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/core/collector"
)

// Limits on what one bundle may hold. A bundle beyond them is a mistake or
// an attack (a gzip bomb); either way it is refused with a diagnostic.
const (
	maxFileSize   = 16 << 20  // one file
	maxBundleSize = 128 << 20 // all files of an archive, uncompressed
	maxEntries    = 10000     // entries of an archive
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
	// collects declared, by ID, even those whose body had errors, so a
	// policy referring to them gets no second error.
	collects map[string]hcl.Range
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
		collects:   map[string]hcl.Range{},
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
		l.loadDataFiles()
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
	l.loadModules(false)
	l.dataBlocks(blocks.OfType("data"))
	l.loadDataFiles()
	l.collectBlocks(blocks.OfType("collect"))
	l.policyBlocks(blocks.OfType("policy"))
	l.checkPackages()
}

// walk lists the bundle's files: HCL in the root, Rego anywhere, data files
// in the root and data/. Hidden files and directories (.git) are skipped.
func (l *loader) walk() {
	err := fs.WalkDir(l.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			l.errorf(nil, "Cannot read bundle", "Reading %s: %s.", l.display(p), describeErr(err))
			if d != nil && d.IsDir() && p != "." {
				return fs.SkipDir
			}
			return nil
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		dir, ext := path.Dir(p), path.Ext(p)
		switch {
		case ext == ".hcl" && dir == ".":
			l.hclFiles = append(l.hclFiles, p)
		case ext == ".rego":
			l.regoFiles = append(l.regoFiles, p)
		case isDataFile(p) && (dir == "." || dir == "data"):
			l.dataFiles = append(l.dataFiles, p)
		}
		return nil
	})
	if err != nil {
		l.errorf(nil, "Cannot read bundle", "Listing %s: %s.", l.root, describeErr(err))
	}
	sort.Strings(l.hclFiles)
	sort.Strings(l.regoFiles)
	sort.Strings(l.dataFiles)
}

// readFile reads a bundle-relative path, confined to the bundle and bounded
// in size, and records it in Files for diagnostics. It returns the name
// used in diagnostics.
func (l *loader) readFile(name string) ([]byte, string, error) {
	rel, err := bundlePath(name)
	if err != nil {
		return nil, "", err
	}
	display := l.display(rel)
	if f, ok := l.b.Files[display]; ok {
		return f.Bytes, display, nil
	}
	src, err := readLimited(l.fsys, rel)
	if err != nil {
		return nil, display, err
	}
	l.b.Files[display] = &hcl.File{Bytes: src}
	return src, display, nil
}

// bundlePath validates a path given in the bundle (file("…"), data path)
// and returns it as an io/fs name. Absolute paths and paths that climb out
// of the bundle are refused.
func bundlePath(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty path")
	}
	if path.IsAbs(name) || filepath.IsAbs(name) {
		return "", fmt.Errorf("%q is an absolute path; only files inside the bundle directory can be read, by a path relative to it", name)
	}
	clean := path.Clean(filepath.ToSlash(name))
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("%q is outside the bundle directory; only files inside it can be read", name)
	}
	if !fs.ValidPath(clean) {
		return "", fmt.Errorf("%q is not a valid path inside the bundle", name)
	}
	return clean, nil
}

func readLimited(fsys fs.FS, name string) ([]byte, error) {
	// Stat before opening: opening a FIFO blocks until a writer comes, and
	// a bundle directory is not trusted to hold only regular files.
	if fi, err := fs.Stat(fsys, name); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	if fi.Size() > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxFileSize>>20)
	}
	src, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxFileSize>>20)
	}
	return src, nil
}

// describeErr makes an fs error readable without repeating the path the
// diagnostic already names.
func describeErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
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
		p.file, p.diags = hclsyntax.ParseConfig(p.src, p.display, hcl.InitialPos)
		if p.diags.HasErrors() || p.file == nil {
			return
		}
		content, diags := p.file.Body.Content(rootSchema)
		p.content = content
		p.diags = append(p.diags, diags...)
	}
	if len(files) == 1 {
		parse(files[0])
	} else {
		var wg sync.WaitGroup
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		for _, p := range files {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				parse(p)
			})
		}
		wg.Wait()
	}
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

// Conflicts reports what stops bundles from running together: two bundles
// with one name, a data key defined twice with different values, two
// policies judging with one Rego package.
func Conflicts(bundles []*Bundle) hcl.Diagnostics {
	var diags hcl.Diagnostics
	names := map[string]*Bundle{}
	type dataDef struct {
		b     *Bundle
		value any
	}
	data := map[string]dataDef{}
	type pkgDef struct {
		b *Bundle
		p *Policy
	}
	pkgs := map[string]pkgDef{}
	for _, b := range bundles {
		if b == nil {
			continue
		}
		if prev, dup := names[b.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate bundle name",
				Detail: fmt.Sprintf("The bundles %q and %q are both named %q; findings and metrics are keyed by bundle name, so names must differ.",
					prev.Source, b.Source, b.Name),
				Subject: rangePtr(b.DeclRange),
			})
		} else {
			names[b.Name] = b
		}
		keys := make([]string, 0, len(b.Data))
		for k := range b.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := b.Data[k]
			prev, dup := data[k]
			if !dup {
				data[k] = dataDef{b, v}
				continue
			}
			if !equalData(prev.value, v) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Conflicting data",
					Detail: fmt.Sprintf("data.%s is defined by bundle %s (%s) and, differently, by bundle %s; all bundles share one data document.",
						k, prev.b.Source, prev.b.dataRanges[k], b.Source),
					Subject: rangePtr(b.dataRanges[k]),
				})
			}
		}
		for _, p := range b.Policies {
			if p.Package == nil {
				continue
			}
			key := p.Package.String()
			if prev, dup := pkgs[key]; dup {
				if prev.b == b {
					continue // reported by the bundle itself
				}
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Two policies share a Rego package",
					Detail: fmt.Sprintf("Policy %q of bundle %s and policy %q of bundle %s (%s) both use package %s; each would report the other's findings. Give one of them its own package.",
						p.ID, b.Source, prev.p.ID, prev.b.Source, prev.p.DeclRange, key),
					Subject: rangePtr(p.DeclRange),
				})
				continue
			}
			pkgs[key] = pkgDef{b, p}
		}
	}
	return append(diags, liveConflicts(bundles)...)
}

// checkPackages refuses two policies of the bundle on one Rego package,
// unless every policy of that package names its inputs and no input is
// named by two of them: then no document reaches the package twice, and
// each finding belongs to the one policy that took the document. That is
// what lets a generated bundle (assay mig import) judge thousands of
// searches with one shared module, compiled once.
func (l *loader) checkPackages() {
	type use struct {
		p      *Policy
		inputs map[string]*Policy // input → the policy of the package that takes it
	}
	seen := map[string]*use{}
	for _, p := range l.b.Policies {
		key := p.Package.String()
		u, dup := seen[key]
		if !dup {
			u = &use{p: p, inputs: map[string]*Policy{}}
			for _, in := range p.Inputs {
				u.inputs[in] = p
			}
			seen[key] = u
			continue
		}
		if len(p.Inputs) == 0 || len(u.p.Inputs) == 0 {
			without := p
			if len(p.Inputs) > 0 {
				without = u.p
			}
			l.errorf(rangePtr(p.DeclRange), "Two policies share a Rego package",
				"Policy %q uses package %s, as policy %q (%s) does, and policy %q has no input, so it judges every document of the bundle; each would report the other's findings. Give each policy its own package, or give each policy of the package inputs of its own (input = [collect.KIND.NAME]).",
				p.ID, key, u.p.ID, u.p.DeclRange, without.ID)
			continue
		}
		clash := ""
		var other *Policy
		for _, in := range p.Inputs {
			if q, taken := u.inputs[in]; taken {
				clash, other = in, q
				break
			}
		}
		if other != nil {
			l.errorf(rangePtr(p.DeclRange), "Two policies share a Rego package",
				"Policy %q uses package %s, as policy %q (%s) does, and both judge the documents of collect.%s; each would report the other's findings about them. Give each policy its own package, or inputs no other policy of the package names.",
				p.ID, key, other.ID, other.DeclRange, clash)
			continue
		}
		for _, in := range p.Inputs {
			u.inputs[in] = p
		}
	}
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
