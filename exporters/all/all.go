// Package all links every output format into the binary. Add yours on its own
// line to keep merges trivial.
package all

import (
	_ "github.com/assay-dev/assay/exporters/jsonout" // -f json
	_ "github.com/assay-dev/assay/exporters/table"   // -f table
)
