package bundle

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// LiveData is a data block of a live kind (DataKind.Live): decoded and
// checked when the bundle loads, read by Fetch before each evaluation.
type LiveData struct {
	// Name is the data name: policies read data.NAME.
	Name string
	// Kind is the block's kind ("ldap").
	Kind string
	// Source reads the value.
	Source DataSource
	// DeclRange is the block's definition.
	DeclRange hcl.Range
}

// FetchResult is the outcome of reading one live data block.
type FetchResult struct {
	// Bundle is the name of the bundle that declares the block.
	Bundle string
	*LiveData
	// Value is what the source returned; meaningless when Diags has errors.
	Value any
	// Diags are the source's diagnostics; errors mean the fetch failed
	// (datasource.IsUnavailable tells a source that is down).
	Diags hcl.Diagnostics
	// Duration is how long the fetch took; At is when it ended.
	Duration time.Duration
	At       time.Time
}

// Failed reports whether the fetch failed.
func (f *FetchResult) Failed() bool { return f.Diags.HasErrors() }

// Fetch reads every live data block of the bundles, all at once (each
// source bounds itself with its own timeout), and returns one result per
// block, in bundle and declaration order. Loading checked that no two
// blocks share a name, so the values of the results that did not fail can
// be published side by side as data.NAME.
func Fetch(ctx context.Context, bundles []*Bundle) []FetchResult {
	var out []FetchResult
	for _, b := range bundles {
		if b == nil {
			continue
		}
		for _, ld := range b.Live {
			out = append(out, FetchResult{Bundle: b.Name, LiveData: ld})
		}
	}
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() {
			f := &out[i]
			start := time.Now()
			f.Value, f.Diags = safeRead(ctx, f.Source)
			f.At = time.Now()
			f.Duration = f.At.Sub(start)
		})
	}
	wg.Wait()
	return out
}

// safeRead turns a panicking source into a diagnostic: one broken source
// must not take a daemon down.
func safeRead(ctx context.Context, src DataSource) (v any, diags hcl.Diagnostics) {
	defer func() {
		if p := recover(); p != nil {
			v, diags = nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Data source failed", Detail: fmt.Sprintf("The data source panicked: %v.", p)}}
		}
	}()
	return src.Read(ctx)
}

// setLive records a live block under its data name.
func (l *loader) setLive(ld *LiveData, rng hcl.Range) {
	if l.claimDataName(ld.Name, rng) {
		l.b.Live = append(l.b.Live, ld)
	}
}

// claimDataName reserves data.<name> for one definition of the bundle.
func (l *loader) claimDataName(name string, rng hcl.Range) bool {
	if name == "assay" {
		l.errorf(&rng, "Reserved data name", "data.assay is reserved for assay's own facts (data.assay.host); rename this data.")
		return false
	}
	if prev, dup := l.b.dataRanges[name]; dup {
		l.errorf(&rng, "Duplicate data", "data.%s is already defined at %s.", name, prev)
		return false
	}
	l.b.dataRanges[name] = rng
	return true
}

// liveConflicts refuses a live data name that another bundle also defines,
// live or not: the values are known only when fetched, and all bundles
// share one data document.
func liveConflicts(bundles []*Bundle) hcl.Diagnostics {
	var diags hcl.Diagnostics
	first := map[string]*Bundle{}
	for _, b := range bundles {
		if b == nil {
			continue
		}
		names := make([]string, 0, len(b.dataRanges))
		for name := range b.dataRanges {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			prev, seen := first[name]
			if !seen {
				first[name] = b
				continue
			}
			if prev == b || (!b.isLive(name) && !prev.isLive(name)) {
				continue // static data: Conflicts compares the values
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Conflicting data",
				Detail: fmt.Sprintf("data.%s is defined by bundle %s (%s) and by bundle %s, and at least one of them fetches it from a live source; all bundles share one data document, so give one of them another name.",
					name, prev.Source, prev.dataRanges[name], b.Source),
				Subject: rangePtr(b.dataRanges[name]),
			})
		}
	}
	return diags
}

func (b *Bundle) isLive(name string) bool {
	for _, ld := range b.Live {
		if ld.Name == name {
			return true
		}
	}
	return false
}
