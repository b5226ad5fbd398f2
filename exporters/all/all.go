// Package all links every output format into the binary. Add yours on its own
// line to keep merges trivial.
package all

import (
	// one blank import per exporter package
	_ "github.com/assay-dev/assay/exporters/junit"
	_ "github.com/assay-dev/assay/exporters/prometheus"
	_ "github.com/assay-dev/assay/exporters/sarif"
)
