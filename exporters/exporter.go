// Package exporters turns a report into the formats people read and machines
// ingest. Each format is a small type in its own sub-package with a
// constructor taking the writer; this package is the one registry of format
// names, so an unknown name is an error, never a silent default.
package exporters

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/assay-dev/assay/core/report"
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
}

// Format is one registered output format.
type Format struct {
	Name string
	Help string
	New  func(w io.Writer, o Options) Exporter
}

var (
	mu      sync.RWMutex
	formats = map[string]Format{}
)

// Register adds a format; formats call it from init(). It panics on a
// duplicate name.
func Register(f Format) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := formats[f.Name]; dup {
		panic("exporters: format " + f.Name + " registered twice")
	}
	formats[f.Name] = f
}

// Lookup finds a format by name; the error lists the known ones.
func Lookup(name string) (Format, error) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := formats[name]
	if !ok {
		return Format{}, fmt.Errorf("unknown output format %q (known: %s)", name, strings.Join(namesLocked(), ", "))
	}
	return f, nil
}

// Names lists the registered formats, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	names := make([]string, 0, len(formats))
	for n := range formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
