package wsg

import "time"

// SetIdleTimeout shortens the idle timeout; call it before the app opens and restore it after
// the app has closed, so that no socket handler reads it meanwhile.
func SetIdleTimeout(d time.Duration) (restore func()) {
	old := idleTimeout
	idleTimeout = d
	return func() { idleTimeout = old }
}
