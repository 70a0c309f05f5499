//go:build !unix

package rctest

import "time"

// CPUTime is not measured here; the performance tests then report 0 µs per notification.
func CPUTime() time.Duration { return 0 }
