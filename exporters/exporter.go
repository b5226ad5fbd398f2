// Package exporters turns a report into the formats people read and machines
// ingest. Each format is a small type in its own sub-package, built by
// New(w io.Writer, o exporters.Options) and described by Format(); a
// Registry maps format names to them, so an unknown name is an error, never
// a silent default.
package exporters

import (
	"context"
	"io"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/internal/registry"
)

// Exporter writes a report in one format. It never changes the report.
type Exporter interface {
	Export(ctx context.Context, r *report.Report) error
}

// Options are what the CLI knows about the destination and the run; formats
// take what they need.
type Options struct {
	// Terminal is set when the destination is an interactive terminal and
	// colour is allowed (NO_COLOR unset).
	Terminal bool
	// Gate is the CI gate in force, for formats that record the exit code
	// (SARIF invocations) or mark failures.
	Gate report.Gate
	// ShowWaived lists waived findings in the table (--show-waived); other
	// formats always carry them, marked.
	ShowWaived bool
}

// Format is one registered output format.
type Format struct {
	Name string
	Help string
	// Ext is the file name extension of the format's files (".sarif"), for
	// the outputs written one file per target (-f FORMAT=DIR/).
	Ext string
	New func(w io.Writer, o Options) Exporter
}

// Registry is the set of output formats, by name. exporters/all.Registry
// holds every format assay ships.
type Registry = registry.Registry[Format]

// NewRegistry builds a registry of the formats. A duplicate name panics: a
// programming error.
func NewRegistry(formats ...Format) *Registry {
	return registry.New("output format", func(f Format) string { return f.Name }, formats...)
}
