// Package all links every collector kind into the binary. Import it for its
// side effects; each line below is one collector package registering itself.
// Add yours on its own line to keep merges trivial.
package all

import (
	_ "github.com/assay-dev/assay/collectors/host"   // host facts
	_ "github.com/assay-dev/assay/collectors/netmac" // interfaces, neighbors
)
