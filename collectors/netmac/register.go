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
		New: func(body hcl.Body, ctx *hcl.EvalContext) (collectors.Collector, hcl.Diagnostics) {
			c, diags := decodeInterfaces(body, ctx)
			if c == nil {
				return nil, diags
			}
			return c, diags
		},
	})
	collectors.Register(collectors.Kind{
		Name:          "neighbors",
		DocumentKinds: []string{KindNeighbor},
		HostOnly:      true,
		Help:          "stations the host sees: ARP and NDP cache entries, and ARP/NDP heard by a capture block",
		New: func(body hcl.Body, ctx *hcl.EvalContext) (collectors.Collector, hcl.Diagnostics) {
			c, diags := decodeNeighbors(body, ctx)
			if c == nil {
				return nil, diags
			}
			return c, diags
		},
	})
}
