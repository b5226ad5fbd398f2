package pipeline

import (
	"github.com/assay-dev/assay/collectors/network"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
)

// maxNetFacts bounds the network identities carried to the exporters; the
// Prometheus exporter caps them again, lower, and counts what it drops.
const maxNetFacts = 4096

// netKind reports whether netFacts reads documents of this kind, which must
// therefore be given to it as Go values (document.Entry.Document).
func netKind(kind string) bool {
	return kind == network.KindInterface || kind == network.KindNeighbor
}

// netFacts picks the MAC addresses out of network documents for the info
// metrics that PromQL joins fleet-wide. nil when the scan saw none.
func netFacts(docs []document.Entry) *report.Net {
	var n report.Net
	for _, d := range docs {
		metric, l, ok := network.InfoLabels(d.Document)
		if !ok {
			continue
		}
		switch {
		case metric == network.InterfaceInfoMetric && len(n.Interfaces) < maxNetFacts:
			n.Interfaces = append(n.Interfaces, report.NetInterface{Name: l["interface"], MAC: l["mac"]})
		case metric == network.NeighborInfoMetric && len(n.Neighbors) < maxNetFacts:
			n.Neighbors = append(n.Neighbors, report.NetNeighbor{Interface: l["interface"], IP: l["ip"], MAC: l["mac"], Source: l["source"]})
		}
	}
	if len(n.Interfaces) == 0 && len(n.Neighbors) == 0 {
		return nil
	}
	return &n
}
