package collectors

import "time"

// SetAbandonAfter shortens how long the runner waits for a collector past
// its deadline, for the test; it returns the function that restores it.
func SetAbandonAfter(d time.Duration) (restore func()) {
	old := abandonAfter
	abandonAfter = d
	return func() { abandonAfter = old }
}
