package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/datasource"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
)

// Data fetches the bundles' live data sources (bundle.Fetch) before each
// evaluation. Give a Pipeline one to use live data; keep the same Data across
// bundle reloads so that the last good data survives them.
type Data struct {
	// KeepLastGood makes a source that cannot be fetched keep its last good
	// value, reported as stale (assay serve), instead of failing the scan
	// (assay scan). A source that never succeeded fails the scan either way:
	// judging without its data would look clean.
	KeepLastGood bool
	Logger       *slog.Logger

	mu   sync.Mutex
	last map[string]lastGood
}

// lastGood is a source's last successful fetch.
type lastGood struct {
	value   any
	at      time.Time
	entries int
}

// FetchError says which data sources could not be fetched; Diags name each
// block and cause, Files hold the sources they quote. The scan fails with
// exit code 3.
type FetchError struct {
	Diags hcl.Diagnostics
	Files map[string]*hcl.File
}

// ExitCode implements exitcode.Coder: the world failed, not the bundle.
func (e *FetchError) ExitCode() int { return exitcode.ScanFailed }

// Diagnostics returns the diagnostics and the sources they quote.
func (e *FetchError) Diagnostics() (hcl.Diagnostics, map[string]*hcl.File) { return e.Diags, e.Files }

func (e *FetchError) Error() string {
	var msgs []string
	for _, d := range e.Diags {
		if d.Severity == hcl.DiagError {
			msgs = append(msgs, d.Summary+": "+d.Detail)
		}
	}
	return "data sources: " + strings.Join(msgs, "; ")
}

// Fetch reads the live data of the bundles and returns it by data name,
// with one status per source for the report.
func (d *Data) Fetch(ctx context.Context, bundles []*bundle.Bundle) (map[string]any, []report.DataSource, error) {
	results := bundle.Fetch(ctx, bundles)
	if len(results) == 0 {
		return nil, nil, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last == nil {
		d.last = map[string]lastGood{}
	}
	values := make(map[string]any, len(results))
	statuses := make([]report.DataSource, 0, len(results))
	keep := make(map[string]bool, len(results))
	var failed hcl.Diagnostics
	for _, r := range results {
		key := sourceKey(&r)
		keep[key] = true
		st := report.DataSource{Bundle: r.Bundle, Name: r.Name, Kind: r.Kind, FetchSeconds: r.Duration.Seconds()}
		if !r.Failed() {
			lg := lastGood{value: r.Value, at: r.At, entries: datasource.Entries(r.Value)}
			d.last[key] = lg
			st.Up, st.LastSuccess, st.Entries = true, lg.at, lg.entries
			values[r.Name] = r.Value
			statuses = append(statuses, st)
			continue
		}
		st.Error = firstError(r.Diags)
		lg, ok := d.last[key]
		if !d.KeepLastGood || !ok {
			failed = append(failed, r.Diags...)
			continue
		}
		st.LastSuccess, st.Entries = lg.at, lg.entries
		values[r.Name] = lg.value
		statuses = append(statuses, st)
		d.logger().Warn("data source unavailable; judging with its last good data",
			"bundle", r.Bundle, "data", r.Name, "kind", r.Kind, "last_success", lg.at, "err", st.Error)
	}
	for key := range d.last { // sources of bundles no longer loaded
		if !keep[key] {
			delete(d.last, key)
		}
	}
	if len(failed) > 0 {
		return nil, nil, &FetchError{Diags: failed, Files: bundle.Files(bundles...)}
	}
	return values, statuses, nil
}

func (d *Data) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// sourceKey identifies a source across reloads: its data name, bundle and
// kind, and what it reads (a changed URL or base DN starts afresh).
func sourceKey(r *bundle.FetchResult) string {
	what := ""
	if s, ok := r.Source.(fmt.Stringer); ok {
		what = s.String()
	}
	return r.Bundle + "\x00" + r.Name + "\x00" + r.Kind + "\x00" + what
}

func firstError(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			if d.Detail != "" {
				return d.Summary + ": " + d.Detail
			}
			return d.Summary
		}
	}
	return ""
}
