package bundle

// Temporary stand-ins until the HCL loader lands; deleted by that merge.

import (
	"context"
	"io/fs"

	"github.com/hashicorp/hcl/v2"
)

// LoadAll loads several bundles.
func LoadAll(ctx context.Context, sources []string) ([]*Bundle, hcl.Diagnostics) {
	return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "bundle loading is not implemented yet"}}
}

// LoadFS loads a bundle from a file system.
func LoadFS(fsys fs.FS, displayRoot string) (*Bundle, hcl.Diagnostics) {
	return nil, nil
}
