// Package collectors defines what every assay collector shares: the
// collector.Collector interface, the document.Document it produces, the collector.Emitter it reports
// through, and the registry that maps a `collect "KIND" "NAME"` block of a
// bundle to the code that gathers those facts.
//
// A collector gathers facts and never judges them: policies do that. Each
// collector kind lives in its own sub-package, registers itself from init()
// with Register, and is linked into the binary by collectors/all.
package collectors
