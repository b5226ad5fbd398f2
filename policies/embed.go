// Package policies embeds the built-in bundles: one directory each, run when
// no --bundle is given. Each bundle carries its Rego unit tests, which
// `assay test policies/` runs.
package policies

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed *
var files embed.FS

// FS returns the embedded bundles' file system.
func FS() fs.FS { return files }

// Names lists the built-in bundles (the directories of this package), sorted.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var names []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "testdata" {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}
