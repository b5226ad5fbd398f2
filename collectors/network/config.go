package network

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// Defaults of the capture block.
const (
	DefaultCaptureDuration = 10 * time.Second
	DefaultMaxMACs         = 4096
	maxMACsLimit           = 1 << 20
)

type neighborsBody struct {
	Cache   *bool        `hcl:"cache,optional"`
	Capture *captureBody `hcl:"capture,block"`
}

type captureBody struct {
	Interface   string `hcl:"interface,optional"`
	Duration    string `hcl:"duration,optional"`
	PcapFile    string `hcl:"pcap_file,optional"`
	MaxMACs     *int   `hcl:"max_macs,optional"`
	Promiscuous bool   `hcl:"promiscuous,optional"`

	DefRange         hcl.Range `hcl:",def_range"`
	DurationRange    hcl.Range `hcl:"duration,attr_value_range"`
	PcapFileRange    hcl.Range `hcl:"pcap_file,attr_value_range"`
	MaxMACsRange     hcl.Range `hcl:"max_macs,attr_value_range"`
	PromiscuousRange hcl.Range `hcl:"promiscuous,attr_value_range"`
}

// captureSpec is a validated capture block.
type captureSpec struct {
	iface       string
	duration    time.Duration
	pcapFile    string
	maxMACs     int
	promiscuous bool
}

func (b *captureBody) spec() (*captureSpec, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	bad := func(r hcl.Range, summary, detail string) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &r})
	}
	s := &captureSpec{iface: b.Interface, pcapFile: b.PcapFile, maxMACs: DefaultMaxMACs, promiscuous: b.Promiscuous}
	if b.MaxMACs != nil {
		if *b.MaxMACs < 1 || *b.MaxMACs > maxMACsLimit {
			bad(b.MaxMACsRange, "Invalid max_macs", fmt.Sprintf("max_macs bounds the distinct MAC addresses a capture records; it must be between 1 and %d.", maxMACsLimit))
		}
		s.maxMACs = *b.MaxMACs
	}
	switch {
	case b.PcapFile != "" && b.Duration != "":
		bad(b.DurationRange, "duration with pcap_file", "A capture file is read to its end; duration only applies to a live capture. Remove one of them.")
	case b.PcapFile != "" && b.Promiscuous:
		bad(b.PromiscuousRange, "promiscuous with pcap_file", "promiscuous only applies to a live capture.")
	case b.PcapFile == "" && b.Promiscuous && b.Interface == "":
		bad(b.PromiscuousRange, "promiscuous needs an interface", "Set interface = \"NAME\": promiscuous mode is switched on one interface.")
	case b.PcapFile == "":
		s.duration = DefaultCaptureDuration
		if b.Duration != "" {
			d, err := time.ParseDuration(b.Duration)
			switch {
			case err != nil:
				bad(b.DurationRange, "Invalid duration", fmt.Sprintf("%v; write it as \"30s\", \"2m\" or \"1m30s\".", err))
			case d <= 0:
				bad(b.DurationRange, "Invalid duration", "A live capture needs a positive duration.")
			}
			s.duration = d
		}
	}
	return s, diags
}

func decodeNeighbors(body hcl.Body, ctx *hcl.EvalContext) (*neighborsCollector, hcl.Diagnostics) {
	var b neighborsBody
	diags := gohcl.DecodeBody(body, ctx, &b)
	if diags.HasErrors() {
		return nil, diags
	}
	c := &neighborsCollector{cache: b.Cache == nil || *b.Cache}
	if b.Capture != nil {
		spec, more := b.Capture.spec()
		diags = append(diags, more...)
		c.capture = spec
	}
	if !c.cache && c.capture == nil {
		r := body.MissingItemRange()
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Nothing to collect",
			Detail: "cache = false and no capture block: add a capture { … } block or drop cache = false.", Subject: &r})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return c, diags
}
