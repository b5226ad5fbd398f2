package network

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/assay-dev/assay/collectors/network/arpndp"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/target"
)

// run captures live or reads the pcap file, then emits one document per
// (interface, MAC, IP) heard.
func (s *captureSpec) run(ctx context.Context, env collector.Env, names map[int]string, host string, emit collector.Emitter) error {
	logger := env.Logger
	tbl := arpndp.NewTable(s.maxMACs)
	var (
		st    arpndp.Stats
		where string
	)
	if s.pcapFile != "" {
		where = s.pcapFile
		f, err := openCapture(s.pcapFile)
		if err != nil {
			return fmt.Errorf("pcap_file: %w", err)
		}
		defer f.Close()
		c, err := arpndp.ReadPcap(ctx, f, tbl)
		if err != nil {
			return fmt.Errorf("pcap_file %s: %w", s.pcapFile, err)
		}
		st = c.Stats
		// A pcapng file names its interfaces; a classic pcap file does
		// not, so its neighbors carry the configured interface, if any.
		names = map[int]string{}
		for i, n := range c.Interfaces {
			names[i] = n
		}
		if len(c.Interfaces) == 0 {
			names[0] = s.iface
		}
	} else {
		where = s.iface
		if where == "" {
			where = "all interfaces"
		}
		opts := arpndp.LiveOptions{Interface: s.iface, Duration: s.duration, Promiscuous: s.promiscuous}
		if logger != nil {
			opts.Ready = func() { logger.Info("capturing ARP/NDP", "interface", where, "duration", s.duration) }
		}
		var err error
		st, err = arpndp.Live(ctx, opts, tbl)
		if err != nil {
			return fmt.Errorf("on %s: %w", where, err)
		}
	}
	if logger != nil {
		logger.Info("capture done", "source", where, "frames", st.Frames, "announcements", st.Sightings, "malformed", st.Malformed, "neighbors", tbl.Len())
	}
	if st.Malformed > 0 {
		emit.Skip(where, fmt.Errorf("%d malformed ARP/NDP frames ignored", st.Malformed))
	}
	if d := tbl.Dropped(); d > 0 {
		emit.Skip(where, fmt.Errorf("max_macs = %d distinct MACs reached: %d announcements from further MACs not recorded", tbl.MaxMACs(), d))
	}
	for _, n := range tbl.Neighbors() {
		doc := captureDocument(n, names[n.Interface])
		doc["host"] = host
		emit.Emit(doc)
	}
	return nil
}

// openCapture opens a capture file without blocking and refuses anything
// but a regular file: opening a FIFO without a writer blocks where no
// deadline reaches, and a collector stuck there would be abandoned and hang
// on for the life of the process.
func openCapture(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %w: %s", p, target.ErrNotRegular, target.TypeString(fi.Mode()))
	}
	return f, nil
}

func captureDocument(n arpndp.Neighbor, iface string) document.Document {
	ip := ""
	if n.IP.IsValid() {
		ip = n.IP.String()
	}
	msgs := []any{}
	for _, m := range n.Messages.Names() {
		msgs = append(msgs, m)
	}
	return document.Document{
		document.FieldKind: KindNeighbor,
		"ip":               ip,
		"mac":              n.MAC.String(),
		"interface":        iface,
		"source":           SourceCapture,
		"router":           n.Router,
		"first_seen":       n.FirstSeen.UTC().Format(time.RFC3339Nano),
		"last_seen":        n.LastSeen.UTC().Format(time.RFC3339Nano),
		"packets":          int64(n.Packets),
		"messages":         msgs,
	}
}
