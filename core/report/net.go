package report

// Net lists the network identities a scan saw (from net.interface and
// net.neighbor documents), so the Prometheus exporter can publish them as
// info metrics that PromQL joins fleet-wide. It is not part of the JSON
// report; whoever fills it should keep it bounded (the exporter caps it too).
type Net struct {
	Interfaces []NetInterface
	Neighbors  []NetNeighbor
}

// NetInterface is one local interface and its MAC address.
type NetInterface struct {
	Name string
	MAC  string
}

// NetNeighbor is one neighbour-cache entry or captured address.
type NetNeighbor struct {
	Interface string
	IP        string
	MAC       string
	Source    string // arp_cache, ndp_cache, capture
}
