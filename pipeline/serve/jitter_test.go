package serve

import (
	"testing"
	"time"
)

// TestWaitBounds: the wait between scans is the interval plus at most the
// jitter, and never more than twice the interval, whatever Jitter says.
func TestWaitBounds(t *testing.T) {
	for _, tc := range []struct {
		name             string
		interval, jitter time.Duration
		max              time.Duration
	}{
		{"no jitter", time.Second, 0, time.Second},
		{"default", 5 * time.Second, DefaultJitter(5 * time.Second), 5500 * time.Millisecond},
		{"jitter longer than the interval", time.Second, time.Hour, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &Daemon{Interval: tc.interval, Jitter: tc.jitter}
			for range 1000 {
				if w := d.wait(); w < tc.interval || w > tc.max {
					t.Fatalf("wait() = %v, want within [%v, %v]", w, tc.interval, tc.max)
				}
			}
		})
	}
	if got := DefaultJitter(5 * time.Minute); got != 30*time.Second {
		t.Errorf("DefaultJitter(5m) = %v, want 30s", got)
	}
}
