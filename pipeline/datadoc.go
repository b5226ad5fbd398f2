package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/datasource"
	"github.com/assay-dev/assay/core/exitcode"
)

// DataFetch sums up one live data source's fetch, as `assay data` shows it.
type DataFetch struct {
	// Kind is the data kind ("ldap"); Source what was read, without a
	// secret (the URL and base DN).
	Kind, Source string
	// Entries counts the value (datasource.Entries); Duration is how long
	// the fetch took.
	Entries  int
	Duration time.Duration
}

// DataDocument reads the data the bundles give policies: every data file
// and data block, live sources fetched now, as one document keyed by data
// NAME (data.NAME in Rego), or only the names given. It also returns a
// summary of each live fetch, sorted by kind and source. A source that
// cannot be fetched is exit code 3 (a *DiagnosticsError), a name no bundle
// defines exit code 2, and so is a secret the operator did not allow. The
// values of the secrets the run holds are redacted.
func (e *Env) DataDocument(ctx context.Context, bundles []*bundle.Bundle, names []string) (map[string]any, []DataFetch, error) {
	if err := checkSecrets(e.Secrets, bundles); err != nil {
		return nil, nil, err
	}
	red := e.redactor()
	doc := map[string]any{}
	for _, b := range bundles {
		maps.Copy(doc, b.Data)
	}
	var (
		diags   hcl.Diagnostics
		fetches []DataFetch
	)
	for _, f := range bundle.Fetch(datasource.WithSecrets(ctx, e.Secrets), bundles) {
		diags = append(diags, f.Diags...)
		if f.Failed() {
			continue
		}
		doc[f.Name] = f.Value
		what := ""
		if s, ok := f.Source.(fmt.Stringer); ok {
			what = s.String()
		}
		fetches = append(fetches, DataFetch{Kind: f.Kind, Source: what, Entries: datasource.Entries(f.Value), Duration: f.Duration})
	}
	files := bundle.Files(bundles...)
	red.redactDiags(diags)
	if diags.HasErrors() {
		return nil, nil, diagnosticsError(diags, files)
	}
	e.warn(diags, files)
	slices.SortFunc(fetches, func(a, b DataFetch) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Source, b.Source))
	})
	if len(names) > 0 {
		picked := make(map[string]any, len(names))
		for _, n := range names {
			v, ok := doc[n]
			if !ok {
				return nil, nil, exitcode.UsageError(fmt.Errorf("no bundle defines data.%s (defined: %s)", n, strings.Join(slices.Sorted(maps.Keys(doc)), ", ")))
			}
			picked[n] = v
		}
		doc = picked
	}
	// The document leaves the run: what a directory or a web service
	// returned may hold a secret the run holds.
	redactValue(red, &doc)
	return doc, fetches, nil
}
