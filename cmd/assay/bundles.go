package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/datasource"
	"github.com/assay-dev/assay/bundle/source"
	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/pipeline"
	"github.com/assay-dev/assay/policies"
)

// loadBundles loads the bundles named on the command line, or the built-in
// ones when none is named; remote sources are fetched and every archive is
// checked as bf says (bundle/source). Diagnostics (warnings too) are
// rendered on stderr with source snippets; errors become exit code 2.
func loadBundles(ctx context.Context, sources []string, bf *bundleFlags, stderr io.Writer) ([]*bundle.Bundle, error) {
	var (
		bundles []*bundle.Bundle
		diags   hcl.Diagnostics
	)
	opts, err := bf.options()
	if err != nil {
		return nil, usageError(err)
	}
	if len(sources) == 0 {
		for _, name := range policies.Names() {
			sub, err := fs.Sub(policies.FS(), name)
			if err != nil {
				return nil, scanError(err)
			}
			b, d := bundle.LoadFS(sub, "policies/"+name)
			diags = append(diags, d...)
			if b != nil {
				bundles = append(bundles, b)
			}
		}
		diags = append(diags, bundle.Conflicts(bundles)...)
	} else {
		bundles, diags = source.LoadAll(ctx, expandBundleDirs(sources), opts)
	}
	if len(diags) > 0 {
		renderDiagnostics(stderr, diags, bundleFilesOf(bundles))
	}
	if diags.HasErrors() {
		if datasource.IsUnavailable(diags) { // the bundles are fine; a directory or server is not
			return nil, &exitError{code: 3, err: errors.New("a data source could not be fetched (see above)"), silent: true}
		}
		return nil, &exitError{code: 2, err: errors.New("the bundles have errors (see above)"), silent: true}
	}
	if len(bundles) == 0 {
		return nil, usageError(errors.New("no bundle to run"))
	}
	return bundles, nil
}

// expandBundleDirs lets a directory of bundles stand for its bundles:
// `assay test policies/` tests every built-in bundle. A directory with HCL or
// Rego of its own is a bundle and is left alone.
func expandBundleDirs(sources []string) []string {
	var out []string
	for _, src := range sources {
		entries, err := os.ReadDir(src)
		if err != nil || holdsPolicy(entries) {
			out = append(out, src)
			continue
		}
		var subs []string
		for _, e := range entries {
			if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || e.Name() == "testdata" {
				continue
			}
			inner, err := os.ReadDir(filepath.Join(src, e.Name()))
			if err == nil && holdsPolicy(inner) {
				subs = append(subs, filepath.Join(src, e.Name()))
			}
		}
		if len(subs) == 0 {
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

// scanFailed turns a failed scan or evaluation into exit code 3; data
// sources that could not be fetched are rendered like bundle diagnostics,
// naming the block.
func scanFailed(err error, stderr io.Writer, bundles []*bundle.Bundle) error {
	var fe *pipeline.FetchError
	if errors.As(err, &fe) {
		renderDiagnostics(stderr, fe.Diags, bundleFilesOf(bundles))
		return &exitError{code: 3, err: errors.New("a data source could not be fetched (see above)"), silent: true}
	}
	return scanError(err)
}

// compile builds the engine, rendering Rego compile errors like bundle
// diagnostics.
func compile(ctx context.Context, bundles []*bundle.Bundle, stderr io.Writer, opts ...engine.Option) (*engine.Engine, error) {
	eng, err := engine.New(ctx, bundles, opts...)
	if err == nil {
		return eng, nil
	}
	if diags := asDiagnostics(err); diags != nil {
		renderDiagnostics(stderr, diags, bundleFilesOf(bundles))
		return nil, &exitError{code: 2, err: err, silent: true}
	}
	return nil, usageError(err)
}

// asDiagnostics returns the diagnostics an error carries, or nil.
func asDiagnostics(err error) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if errors.As(err, &diags) {
		return diags
	}
	return nil
}

// bundleFilesOf gathers the sources diagnostics may quote.
func bundleFilesOf(bundles []*bundle.Bundle) map[string]*hcl.File {
	files := map[string]*hcl.File{}
	for _, b := range bundles {
		for name, f := range b.Files {
			files[name] = f
		}
	}
	return files
}
