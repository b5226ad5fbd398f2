// Package all lists every collector type assay ships.
package all

import (
	"github.com/assay-dev/assay/collectors/file"
	"github.com/assay-dev/assay/collectors/host"
	"github.com/assay-dev/assay/collectors/imageconfig"
	"github.com/assay-dev/assay/collectors/network"
	"github.com/assay-dev/assay/collectors/sshd"
	"github.com/assay-dev/assay/core/collector"
)

// Registry returns every collector type. Add yours on its own line.
func Registry() *collector.Registry {
	return collector.NewRegistry(
		file.Type(),              // files: MIG file-module searches
		host.Type(),              // host facts
		imageconfig.Type(),       // an image's runtime configuration
		network.InterfacesType(), // interfaces
		network.NeighborsType(),  // neighbors
		sshd.Type(),              // effective sshd_config
	)
}
