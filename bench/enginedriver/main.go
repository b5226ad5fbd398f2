// Command enginedriver is a THROWAWAY benchmark driver for bench/engine.sh,
// used only while `assay eval -b DIR` cannot yet load a plain Rego
// directory (the HCL/Rego bundle loader is being written in parallel). It
// does what assay eval does for that case: every package of the directory's
// *.rego files with deny/violation/warn rules becomes a policy of an
// implicit bundle; each JSON file given becomes one document (read with
// engine/scan.ReadDocuments, as assay eval reads it); the engine judges
// them; the findings are printed as an assay JSON report (findings and
// policies only). Delete it once assay eval loads Rego directories.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/engine"
	"github.com/assay-dev/assay/engine/bundle"
	"github.com/assay-dev/assay/engine/report"
	"github.com/assay-dev/assay/engine/scan"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: enginedriver REGO_DIR DOC.json...")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "enginedriver:", err)
		os.Exit(2)
	}
}

func run(dir string, files []string) error {
	ctx := context.Background()
	b, err := loadRegoDir(dir)
	if err != nil {
		return err
	}
	var docs []engine.Doc
	for _, f := range files {
		d, _, err := scan.ReadDocuments(f)
		if err != nil {
			return err
		}
		docs = append(docs, d...)
	}
	eng, err := engine.New(ctx, []*bundle.Bundle{b})
	if err != nil {
		return err
	}
	res, err := eng.Eval(ctx, engine.Input{Documents: docs})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(report.Report{Policies: res.Policies, Findings: res.Findings})
}

// loadRegoDir makes an implicit bundle of a conftest-style Rego directory.
func loadRegoDir(dir string) (*bundle.Bundle, error) {
	b := &bundle.Bundle{Name: filepath.Base(dir), Source: dir, Implicit: true}
	byPkg := map[string]*bundle.Module{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rego") || strings.HasSuffix(path, "_test.rego") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
		if err != nil {
			return err
		}
		mod := &bundle.Module{Filename: path, Source: src, Parsed: m}
		b.Modules = append(b.Modules, mod)
		if hasFindingRules(m) {
			if _, ok := byPkg[m.Package.Path.String()]; !ok {
				byPkg[m.Package.Path.String()] = mod
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pkgs := make([]string, 0, len(byPkg))
	for p := range byPkg {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		mod := byPkg[p]
		b.Policies = append(b.Policies, &bundle.Policy{
			ID:          strings.TrimPrefix(p, "data."),
			Enforcement: report.Mandatory,
			Mode:        bundle.PerDocument,
			Package:     mod.Parsed.Package.Path,
			Module:      mod,
		})
	}
	return b, nil
}

func hasFindingRules(m *ast.Module) bool {
	for _, r := range m.Rules {
		n := r.Head.Name.String()
		if n == "" && len(r.Head.Ref()) > 0 {
			n = r.Head.Ref()[0].String()
		}
		for _, p := range []string{"deny", "violation", "warn"} {
			if n == p || strings.HasPrefix(n, p+"_") {
				return true
			}
		}
	}
	return false
}
