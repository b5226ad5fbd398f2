package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/artifact"
	"github.com/assay-dev/assay/bundle/datasource"
	"github.com/assay-dev/assay/bundle/source"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/policies"
)

// DiagnosticsError stops a run on diagnostics: mistakes in bundles or their
// Rego (exit code 2), or data sources that cannot be fetched (exit code
// 3). Files holds the sources the diagnostics quote; showing them is the
// caller's business.
type DiagnosticsError struct {
	Diags hcl.Diagnostics
	Files map[string]*hcl.File
	// Code is the exit code; Message the one line that sums them up.
	Code    int
	Message string
}

func (e *DiagnosticsError) Error() string { return e.Message }

// ExitCode implements exitcode.Coder.
func (e *DiagnosticsError) ExitCode() int { return e.Code }

// Diagnostics returns the diagnostics and the sources they quote.
func (e *DiagnosticsError) Diagnostics() (hcl.Diagnostics, map[string]*hcl.File) {
	return e.Diags, e.Files
}

// Diagnosed is an error that carries diagnostics to show with their
// source: *DiagnosticsError and *FetchError.
type Diagnosed interface {
	error
	Diagnostics() (hcl.Diagnostics, map[string]*hcl.File)
}

// diagnosticsError classifies bundle diagnostics with errors: a data
// source that cannot be fetched is the world's fault (3), anything else
// the bundle's (2).
func diagnosticsError(diags hcl.Diagnostics, files map[string]*hcl.File) *DiagnosticsError {
	if datasource.IsUnavailable(diags) {
		return &DiagnosticsError{Diags: diags, Files: files, Code: exitcode.ScanFailed, Message: "a data source could not be fetched (see above)"}
	}
	return &DiagnosticsError{Diags: diags, Files: files, Code: exitcode.Usage, Message: "the bundles have errors (see above)"}
}

// FetchOptions say how remote bundle sources are fetched and checked.
type FetchOptions struct {
	// VerifyKeys are PEM public key files: every bundle must be an archive
	// signed by one of them.
	VerifyKeys []string
	// CacheDir keeps remote bundles, and serves the last copy that loaded
	// when the source is unreachable.
	CacheDir string
	// Timeout bounds the fetch of one remote bundle (0: the default).
	Timeout time.Duration
}

// sourceOptions reads the keys and builds the options of bundle/source.
func (e *Env) sourceOptions(f FetchOptions) (source.Options, error) {
	opts := source.Options{AssayVersion: e.Tool.Version, Logger: e.Logger, Loader: e.Loader(), Timeout: f.Timeout}
	keys, err := ReadPublicKeys(f.VerifyKeys)
	if err != nil {
		return opts, err
	}
	opts.Keys = keys
	if f.CacheDir != "" {
		opts.CacheDir = f.CacheDir
		opts.Offline = true
	}
	return opts, nil
}

// ReadPublicKeys reads PEM public key files (--verify-key).
func ReadPublicKeys(files []string) ([]artifact.PublicKey, error) {
	var keys []artifact.PublicKey
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("--verify-key: %w", err)
		}
		k, err := artifact.ParsePublicKeys(data)
		if err != nil {
			return nil, fmt.Errorf("--verify-key %s: %w", name, err)
		}
		keys = append(keys, k...)
	}
	return keys, nil
}

// LoadBundles loads the bundles named by sources, or the built-in ones
// when there are none. Remote sources are fetched and every archive is
// checked as fetch says (bundle/source); a directory of bundle directories
// stands for its bundles. Warnings go to the env's Warnings; errors come
// back as a *DiagnosticsError. The built-in bundles come without their
// test modules, which make test runs: only LoadBundlesToTest parses them
// (they are more than half the built-in Rego, a sixth of a scan's
// start-up).
func (e *Env) LoadBundles(ctx context.Context, sources []string, fetch FetchOptions) ([]*bundle.Bundle, error) {
	return e.loadBundles(ctx, sources, fetch, false)
}

// LoadBundlesToTest is LoadBundles for assay test: the built-in bundles
// come with their test modules.
func (e *Env) LoadBundlesToTest(ctx context.Context, sources []string, fetch FetchOptions) ([]*bundle.Bundle, error) {
	return e.loadBundles(ctx, sources, fetch, true)
}

func (e *Env) loadBundles(ctx context.Context, sources []string, fetch FetchOptions, builtinTests bool) ([]*bundle.Bundle, error) {
	var (
		bundles []*bundle.Bundle
		diags   hcl.Diagnostics
	)
	opts, err := e.sourceOptions(fetch)
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	if len(sources) == 0 {
		if bundles, diags, err = e.builtinBundles(ctx, !builtinTests); err != nil {
			return nil, exitcode.ScanError(err)
		}
	} else {
		bundles, diags = source.LoadAll(ctx, expandBundleDirs(sources), opts)
	}
	files := bundle.Files(bundles...)
	if diags.HasErrors() {
		return nil, diagnosticsError(diags, files)
	}
	e.warn(diags, files)
	if len(bundles) == 0 {
		return nil, exitcode.UsageError(errors.New("no bundle to run"))
	}
	return bundles, nil
}

// builtinBundles loads the bundles compiled into the binary (policies/),
// without their test modules when skipTests is set.
func (e *Env) builtinBundles(ctx context.Context, skipTests bool) ([]*bundle.Bundle, hcl.Diagnostics, error) {
	var (
		bundles []*bundle.Bundle
		diags   hcl.Diagnostics
	)
	// Side by side: each bundle parses its Rego one file per core, and a
	// core that finishes a bundle's last file early then starts another
	// bundle instead of waiting. Taken back in order.
	loader := e.Loader()
	loader.SkipTests = skipTests
	names := policies.Names()
	loaded := make([]*bundle.Bundle, len(names))
	found := make([]hcl.Diagnostics, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			sub, err := fs.Sub(policies.FS(), name)
			if err != nil {
				errs[i] = err
				return
			}
			loaded[i], found[i] = loader.LoadFS(ctx, sub, "policies/"+name)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	for i, b := range loaded {
		diags = append(diags, found[i]...)
		if b != nil {
			b.Embedded = true
			bundles = append(bundles, b)
		}
	}
	return bundles, append(diags, bundle.Conflicts(bundles)...), nil
}

// expandBundleDirs lets a directory of bundles stand for its bundles:
// `assay test policies/` tests every built-in bundle. A directory with HCL or
// Rego of its own is a bundle and is left alone, and so is one whose
// subdirectories hold Rego but no HCL: a conftest policy directory
// (policy/k8s/*.rego, policy/compose/*.rego), which conftest loads whole.
func expandBundleDirs(sources []string) []string {
	var out []string
	for _, src := range sources {
		entries, err := os.ReadDir(src)
		if err != nil || holdsPolicy(entries) {
			out = append(out, src)
			continue
		}
		var subs []string
		hcl := false
		for _, e := range entries {
			if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || e.Name() == "testdata" {
				continue
			}
			inner, err := os.ReadDir(filepath.Join(src, e.Name()))
			if err == nil && holdsPolicy(inner) {
				subs = append(subs, filepath.Join(src, e.Name()))
				hcl = hcl || slices.ContainsFunc(inner, func(e os.DirEntry) bool { return !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") })
			}
		}
		if len(subs) == 0 || !hcl {
			subs = []string{src} // let the loader say what is wrong with it
		}
		out = append(out, subs...)
	}
	return out
}

func holdsPolicy(entries []os.DirEntry) bool {
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".hcl") || strings.HasSuffix(e.Name(), ".rego")) {
			return true
		}
	}
	return false
}

// Compile builds the engine for the bundles. Rego compile errors come back
// as a *DiagnosticsError (exit code 2), naming file, line and column.
func (e *Env) Compile(ctx context.Context, bundles []*bundle.Bundle, opts ...engine.Option) (*engine.Engine, error) {
	eng, err := engine.New(ctx, bundles, append([]engine.Option{engine.WithLogger(e.logger())}, opts...)...)
	if err == nil {
		return eng, nil
	}
	if diags := asDiagnostics(err); diags != nil {
		return nil, &DiagnosticsError{Diags: diags, Files: bundle.Files(bundles...), Code: exitcode.Usage, Message: err.Error()}
	}
	return nil, exitcode.UsageError(err)
}

// asDiagnostics returns the diagnostics an error carries, or nil.
func asDiagnostics(err error) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if errors.As(err, &diags) {
		return diags
	}
	return nil
}

// Test runs the bundles' Rego unit tests, sandboxed as scans are. A Rego
// error in a test module is a *DiagnosticsError (exit code 2).
func (e *Env) Test(ctx context.Context, bundles []*bundle.Bundle, opts engine.TestOptions) ([]engine.TestResult, error) {
	run, err := e.RunTests(ctx, bundles, opts)
	if err != nil {
		return nil, err
	}
	return run.Results, nil
}

// RunTests is Test with the coverage report, when opts.Coverage asks for it.
func (e *Env) RunTests(ctx context.Context, bundles []*bundle.Bundle, opts engine.TestOptions) (*engine.TestRun, error) {
	run, err := engine.RunTests(ctx, bundles, opts)
	if err == nil {
		return run, nil
	}
	var coded exitcode.Coder
	if errors.As(err, &coded) {
		return nil, err
	}
	if diags := asDiagnostics(err); diags != nil {
		return nil, &DiagnosticsError{Diags: diags, Files: bundle.Files(bundles...), Code: exitcode.Usage, Message: err.Error()}
	}
	return nil, exitcode.UsageError(err)
}
