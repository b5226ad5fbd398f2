// Package all lists every output format assay ships.
package all

import (
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/html"
	"github.com/assay-dev/assay/exporters/jsonout"
	"github.com/assay-dev/assay/exporters/junit"
	"github.com/assay-dev/assay/exporters/prometheus"
	"github.com/assay-dev/assay/exporters/sarif"
	"github.com/assay-dev/assay/exporters/table"
)

// Registry returns every output format. Add yours on its own line.
func Registry() *exporters.Registry {
	return exporters.NewRegistry(
		html.Format(),       // -f html
		jsonout.Format(),    // -f json
		junit.Format(),      // -f junit
		prometheus.Format(), // -f prometheus
		sarif.Format(),      // -f sarif
		table.Format(),      // -f table
	)
}
