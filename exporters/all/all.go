// Package all links every output format into the binary. Add yours on its own
// line to keep merges trivial.
package all

import (
	_ "github.com/assay-dev/assay/exporters/jsonout"    // -f json
	_ "github.com/assay-dev/assay/exporters/junit"      // -f junit
	_ "github.com/assay-dev/assay/exporters/prometheus" // -f prometheus
	_ "github.com/assay-dev/assay/exporters/sarif"      // -f sarif
	_ "github.com/assay-dev/assay/exporters/table"      // -f table
)
