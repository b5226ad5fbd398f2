package main

import (
	"context"
	"errors"
	"io"
	"io/fs"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/engine/bundle"
	"github.com/assay-dev/assay/policies"
)

// loadBundles loads the bundles named on the command line, or the built-in
// ones when none is named. Diagnostics (warnings too) are rendered on stderr
// with source snippets; errors become exit code 2.
func loadBundles(ctx context.Context, sources []string, stderr io.Writer) ([]*bundle.Bundle, error) {
	var (
		bundles []*bundle.Bundle
		diags   hcl.Diagnostics
	)
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
		bundles, diags = bundle.LoadAll(ctx, sources)
	}
	if len(diags) > 0 {
		renderDiagnostics(stderr, diags, bundleFilesOf(bundles))
	}
	if diags.HasErrors() {
		return nil, &exitError{code: 2, err: errors.New("the bundles have errors (see above)"), silent: true}
	}
	if len(bundles) == 0 {
		return nil, usageError(errors.New("no bundle to run"))
	}
	return bundles, nil
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
