package network

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/core/collector"
)

// InterfacesType is the interfaces collector type: collect "interfaces"
// blocks, documents of kind net.interface.
func InterfacesType() collector.Type {
	return collector.Type{
		Name:          "interfaces",
		DocumentKinds: []string{KindInterface},
		HostOnly:      true,
		Help:          "network interfaces of the host: MAC, permanent MAC, flags, MTU, addresses, kind",
		New:           collector.NoConfig(&interfacesCollector{}),
		NetFacts:      NetFacts,
	}
}

// NeighborsType is the neighbors collector type: collect "neighbors"
// blocks, documents of kind net.neighbor.
func NeighborsType() collector.Type {
	return collector.Type{
		Name:          "neighbors",
		DocumentKinds: []string{KindNeighbor},
		HostOnly:      true,
		Help:          "stations the host sees: ARP and NDP cache entries, and ARP/NDP heard by a capture block",
		New:           factory(decodeNeighbors),
		NetFacts:      NetFacts,
	}
}

// factory adapts a typed decoder to collector.Factory, returning a nil
// interface (not a typed nil pointer) when decoding failed.
func factory[C collector.Collector](decode func(hcl.Body, *hcl.EvalContext) (C, hcl.Diagnostics)) collector.Factory {
	return func(body hcl.Body, ctx *hcl.EvalContext) (collector.Collector, hcl.Diagnostics) {
		c, diags := decode(body, ctx)
		if diags.HasErrors() {
			return nil, diags
		}
		return c, diags
	}
}
