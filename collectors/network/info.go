package network

import (
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
)

// Info metric names, for exporters and alert rules.
const (
	InterfaceInfoMetric = "assay_net_interface_info"
	NeighborInfoMetric  = "assay_net_neighbor_info"
)

// InfoLabels returns the Prometheus info metric a net.interface or
// net.neighbor document becomes, and its labels:
//
//	assay_net_interface_info{interface, mac}
//	assay_net_neighbor_info{interface, ip, mac, source}
//
// Documents without a usable MAC (loopback's all-zero address, a tunnel,
// an incomplete neighbor entry) and documents of other kinds give ok =
// false: they have nothing to join on. PromQL then finds MACs seen on the
// network that no scanned host owns with
// `assay_net_neighbor_info unless on(mac) assay_net_interface_info`.
func InfoLabels(doc document.Document) (metric string, labels map[string]string, ok bool) {
	str := func(k string) string { s, _ := doc[k].(string); return s }
	mac := str("mac")
	if mac == "" || mac == "00:00:00:00:00:00" {
		return "", nil, false
	}
	switch doc.Kind() {
	case KindInterface:
		return InterfaceInfoMetric, map[string]string{"interface": str("name"), "mac": mac}, true
	case KindNeighbor:
		return NeighborInfoMetric, map[string]string{"interface": str("interface"), "ip": str("ip"), "mac": mac, "source": str("source")}, true
	}
	return "", nil, false
}

// NetFacts adds the identity a net.interface or net.neighbor document
// carries (InfoLabels) to net; documents without one add nothing. It is
// the NetFacts hook of both network collector types.
func NetFacts(doc document.Document, net *report.Net) {
	metric, l, ok := InfoLabels(doc)
	if !ok {
		return
	}
	switch metric {
	case InterfaceInfoMetric:
		net.Interfaces = append(net.Interfaces, report.NetInterface{Name: l["interface"], MAC: l["mac"]})
	case NeighborInfoMetric:
		net.Neighbors = append(net.Neighbors, report.NetNeighbor{Interface: l["interface"], IP: l["ip"], MAC: l["mac"], Source: l["source"]})
	}
}
