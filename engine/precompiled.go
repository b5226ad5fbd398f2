package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/version"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/internal/regocodec"
)

// Precompiled is the compiled form of a set of built-in bundles, made at
// build time by Precompile (pipeline/precompiled holds the built-in
// bundles'). A scan of exactly those bundles (WithPrecompiled) then
// rebuilds the compiler from it, running only the compiler's stages that
// build its indexes: the parsing is still done, but none of the rewriting
// and checking, which the build did, and which were two thirds of a
// scan's start-up. There is no cache on disk: the compiled form is part
// of the binary, as the bundles' sources are, and it is used only when
// Digest is that of the very sources being compiled.
type Precompiled struct {
	// Digest identifies what was compiled: the modules' keys and sources,
	// OPA's version and this package's compile options (precompiledDigest).
	Digest string
	// Data is the modules and their sources as regocodec wrote them, and
	// Sum its SHA-256 (hex): a form damaged after it was made (a corrupted
	// binary, a badly merged generated file) may still decode into a tree,
	// a wrong one, so it is checked before it is read.
	Data string
	Sum  string

	// Start's compile, taken by the first New that uses the form.
	once    sync.Once
	ready   chan struct{}
	started *ast.Compiler
	err     error
	taken   atomic.Bool
}

// Start rebuilds the compiler in the background, while the caller loads
// the bundles: the form holds their sources, so it needs nothing of
// them. The first New given the form, if the digests match, waits for
// and takes that compiler; any later one rebuilds its own. Without Start,
// New rebuilds it itself.
func (p *Precompiled) Start() {
	p.once.Do(func() {
		p.ready = make(chan struct{})
		go func() {
			defer close(p.ready)
			p.started, p.err = p.build(sandboxCapabilities())
		}()
	})
}

// compiler returns the compiler Start built, the first time, or builds one.
func (p *Precompiled) compiler(caps *ast.Capabilities) (*ast.Compiler, error) {
	p.once.Do(func() {}) // a Start after this point starts nothing
	if p.ready != nil && p.taken.CompareAndSwap(false, true) {
		<-p.ready
		c, err := p.started, p.err
		p.started = nil
		return c, err
	}
	return p.build(caps)
}

func (p *Precompiled) build(caps *ast.Capabilities) (c *ast.Compiler, err error) {
	// Decode checks the form's structure, not its meaning: a damaged form
	// can decode into a tree OPA's compiler panics on (a rule head of no
	// reference). That is an error of the form too, here and in Start's
	// goroutine, where a panic would end the program.
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("%w: compiling it panicked: %v", regocodec.ErrFormat, r)
		}
	}()
	if sum := sha256.Sum256([]byte(p.Data)); hex.EncodeToString(sum[:]) != p.Sum {
		return nil, fmt.Errorf("%w: its data does not match its sum", regocodec.ErrFormat)
	}
	set, err := regocodec.Decode(p.Data)
	if err != nil {
		return nil, err
	}
	c = newCompiler(caps).WithSkipStages(precompiledSkips...)
	// Before Compile: building the comprehension indices reads them.
	c.RewrittenVars = set.RewrittenVars
	c.Compile(set.Modules)
	if c.Failed() {
		return nil, c.Errors
	}
	return c, nil
}

// precompileVersion changes whenever compiling changes in a way the
// modules' sources do not show (compiler options, stages skipped), so
// that an older Precompiled is no longer used.
const precompileVersion = "4"

// precompiledSkips are the compiler stages a precompiled set has been
// through already: the rewrites, whose output it is, and the checks it
// passed. The stages that remain build the compiler's own indexes (module
// and rule trees, dependency graph, rule and comprehension indices) and
// its variable generator, which evaluation needs.
var precompiledSkips = []ast.StageID{
	ast.StageResolveRefs, ast.StageCheckUnusedImports, ast.StageRewriteRuleHeadRefs,
	ast.StageCheckKeywordOverrides, ast.StageCheckDuplicateImports, ast.StageRemoveImports,
	ast.StageRewriteLocalVars, ast.StageRewriteTemplateStrings, ast.StageCheckVoidCalls,
	ast.StageRewritePrintCalls, ast.StageRewriteExprTerms, ast.StageParseMetadataBlocks,
	ast.StageSetAnnotationSet, ast.StageRewriteRegoMetadataCalls, ast.StageRewriteComprehensionTerms,
	ast.StageRewriteRefsInHead, ast.StageRewriteWithValues, ast.StageCheckRuleConflicts,
	ast.StageCheckUndefinedFuncs, ast.StageCheckSafetyRuleHeads, ast.StageCheckSafetyRuleBodies,
	ast.StageRewriteEquals, ast.StageRewriteDynamicTerms, ast.StageRewriteTestRulesForTracing,
	ast.StageCheckRecursion, ast.StageCheckTypes, ast.StageCheckUnsafeBuiltins,
	ast.StageCheckDeprecatedBuiltins, ast.StageBuildRequiredCapabilities,
}

// WithPrecompiled gives the engine the compiled form of its bundles, made
// at build time. It is used when every bundle is built in, when fusion is
// deferred (WithFusionFrom) or off, and when p.Digest is that of the
// bundles given to New; otherwise, or should it fail to load, the bundles
// are compiled as usual.
func WithPrecompiled(p *Precompiled) Option { return func(c *config) { c.precompiled = p } }

// Precompile compiles built-in bundles as New does and returns their
// compiled form, for WithPrecompiled. It refuses bundles New would not
// trust to skip the type checker (bundle.AllEmbedded, no "with"): those
// need the checker's types at evaluation.
func Precompile(bundles []*bundle.Bundle) (*Precompiled, error) {
	caps := sandboxCapabilities()
	prep, diags := prepareBundles(bundles, caps, false)
	if diags.HasErrors() {
		return nil, diags
	}
	if !prep.skipTypes {
		return nil, errors.New("precompile: only built-in bundles without \"with\" can be precompiled")
	}
	c, diags := prep.compile(bundles, caps, nil)
	if diags.HasErrors() {
		return nil, diags
	}
	data, err := regocodec.Encode(regocodec.Set{Modules: c.Modules, Sources: moduleSources(bundles), RewrittenVars: c.RewrittenVars})
	if err != nil {
		return nil, fmt.Errorf("precompile: %w", err)
	}
	sum := sha256.Sum256(data)
	return &Precompiled{Digest: precompiledDigest(bundles), Data: string(data), Sum: hex.EncodeToString(sum[:])}, nil
}

// moduleSources are the sources of the modules the engine compiles, by
// their compiler key.
func moduleSources(bundles []*bundle.Bundle) map[string][]byte {
	out := map[string][]byte{}
	for key, m := range compiledByKey(bundles) {
		out[key] = m.Source
	}
	return out
}

// precompiledDigest hashes what compiling the bundles depends on: each
// compiled module's key, Rego version and source, OPA's version and precompileVersion.
func precompiledDigest(bundles []*bundle.Bundle) string {
	h := sha256.New()
	field := func(b []byte) {
		h.Write(binary.AppendUvarint(nil, uint64(len(b))))
		h.Write(b)
	}
	field([]byte(version.Version))
	field([]byte(precompileVersion))
	for key, m := range compiledByKey(bundles) {
		field([]byte(key))
		field([]byte(m.Parsed.RegoVersionSpan().String()))
		field(m.Source)
	}
	return hex.EncodeToString(h.Sum(nil))
}
