package rc

import "time"

// Clock is the only source of user-visible time. Handlers and services never call time.Now, so
// that tests and the control plane can freeze or advance time without sleeping.
type Clock interface {
	Now() time.Time
}

// FormatTime renders t the way the platform does: UTC, milliseconds, "Z".
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
