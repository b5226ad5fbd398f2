package network

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/assay-dev/assay/collectors/network/arpndp"
)

func errNoCapability() error { return arpndp.ErrNoCapability }

// dropNetRaw removes CAP_NET_RAW from the effective set of the current
// thread, which stays locked to this goroutine until restore runs.
// Capabilities are per thread, so the rest of the test binary keeps them.
func dropNetRaw(t *testing.T) (restore func()) {
	t.Helper()
	runtime.LockOSThread()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var orig [2]unix.CapUserData
	if err := unix.Capget(&hdr, &orig[0]); err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("capget: %v", err)
	}
	dropped := orig
	dropped[0].Effective &^= 1 << unix.CAP_NET_RAW
	if err := unix.Capset(&hdr, &dropped[0]); err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("capset: %v", err)
	}
	return func() {
		if err := unix.Capset(&hdr, &orig[0]); err != nil {
			// Leave the thread locked: Go discards it when the goroutine
			// ends, so no other test runs without the capability.
			t.Errorf("restore capabilities: %v", err)
			return
		}
		runtime.UnlockOSThread()
	}
}
