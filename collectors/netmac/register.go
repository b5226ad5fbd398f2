package netmac

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/collectors"
)

func init() {
	collectors.Register(collectors.Kind{
		Name:          "interfaces",
		DocumentKinds: []string{KindInterface},
		HostOnly:      true,
		Help:          "network interfaces of the host: MAC, permanent MAC, flags, MTU, addresses, kind",
		New:           factory(decodeInterfaces),
	})
	collectors.Register(collectors.Kind{
		Name:          "neighbors",
		DocumentKinds: []string{KindNeighbor},
		HostOnly:      true,
		Help:          "stations the host sees: ARP and NDP cache entries, and ARP/NDP heard by a capture block",
		New:           factory(decodeNeighbors),
	})
}

// factory adapts a typed decoder to collectors.Factory, returning a nil
// interface (not a typed nil pointer) when decoding failed.
func factory[C collectors.Collector](decode func(hcl.Body, *hcl.EvalContext) (C, hcl.Diagnostics)) collectors.Factory {
	return func(body hcl.Body, ctx *hcl.EvalContext) (collectors.Collector, hcl.Diagnostics) {
		c, diags := decode(body, ctx)
		if diags.HasErrors() {
			return nil, diags
		}
		return c, diags
	}
}
