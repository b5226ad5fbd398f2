// Package all links every collector kind into the binary. Import it for its
// side effects; each line below is one collector package registering itself.
// Add yours on its own line to keep merges trivial.
package all

import (
	_ "github.com/assay-dev/assay/collectors/file"   // files: MIG file-module searches
	_ "github.com/assay-dev/assay/collectors/host"   // host facts
	_ "github.com/assay-dev/assay/collectors/network" // interfaces, neighbors
	_ "github.com/assay-dev/assay/collectors/sshd"   // effective sshd_config
)
