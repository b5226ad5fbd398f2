package arpndp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// LiveOptions configures a live capture.
type LiveOptions struct {
	// Interface to listen on; "" listens on every interface of the network
	// namespace.
	Interface string
	// Duration of the capture; it also ends when ctx is done.
	Duration time.Duration
	// Promiscuous also receives unicast frames for other stations (on a
	// hub, a mirror port). Needs Interface.
	Promiscuous bool
	// Ready, if set, is called once the socket listens.
	Ready func()
}

// ErrNoCapability is wrapped by Live when the process may not open a packet
// socket.
var ErrNoCapability = errors.New("capturing packets needs CAP_NET_RAW (run as root, or grant the capability with setcap cap_net_raw+ep)")

// neighborFilter is "arp or (ip6 and icmp6 with hop limit 255)" for Ethernet
// frames, run in the kernel so that other traffic never reaches the ring.
var neighborFilter = func() []bpf.RawInstruction {
	raw, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},                         // 0: EtherType
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x0806, SkipTrue: 5},  // 1: ARP → accept
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x86dd, SkipFalse: 5}, // 2: not IPv6 → reject
		bpf.LoadAbsolute{Off: 20, Size: 1},                         // 3: next header
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 58, SkipFalse: 3},     // 4: not ICMPv6 → reject
		bpf.LoadAbsolute{Off: 21, Size: 1},                         // 5: hop limit
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 255, SkipFalse: 1},    // 6: not 255 → reject
		bpf.RetConstant{Val: 1 << 16},                              // 7: accept
		bpf.RetConstant{Val: 0},                                    // 8: reject
	})
	if err != nil {
		panic(err) // a constant program: caught by any test
	}
	return raw
}()

// Live listens on an AF_PACKET socket (no libpcap, no cgo) for
// opts.Duration and records the ARP/NDP announcements it hears into tbl,
// keyed by the receiving interface's index. It returns ctx's error if ctx
// ends first.
func Live(ctx context.Context, opts LiveOptions, tbl *Table) (Stats, error) {
	var st Stats
	if opts.Duration <= 0 {
		return st, errors.New("live capture needs a positive duration")
	}
	args := []any{afpacket.OptPollTimeout(100 * time.Millisecond), afpacket.OptBlockSize(1 << 18), afpacket.OptNumBlocks(16)}
	if opts.Interface != "" {
		args = append(args, afpacket.OptInterface(opts.Interface))
	}
	tp, err := afpacket.NewTPacket(args...)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return st, fmt.Errorf("%w: %v", ErrNoCapability, err)
		}
		return st, fmt.Errorf("open packet socket: %w", err)
	}
	defer tp.Close()
	if err := tp.SetBPF(neighborFilter); err != nil {
		return st, fmt.Errorf("attach filter: %w", err)
	}
	if opts.Promiscuous {
		if opts.Interface == "" {
			return st, errors.New("promiscuous capture needs an interface")
		}
		if err := tp.SetPromiscuous(true); err != nil {
			return st, fmt.Errorf("promiscuous mode on %s: %w", opts.Interface, err)
		}
	}
	dec, _ := NewDecoder(layers.LinkTypeEthernet)
	if opts.Ready != nil {
		opts.Ready()
	}
	deadline := time.Now().Add(opts.Duration)
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		data, ci, err := tp.ZeroCopyReadPacketData()
		if err != nil {
			if errors.Is(err, afpacket.ErrTimeout) || errors.Is(err, afpacket.ErrPoll) {
				continue
			}
			return st, fmt.Errorf("read packet: %w", err)
		}
		st.Frames++
		st.record(dec, tbl, data, ci)
	}
	return st, nil
}
