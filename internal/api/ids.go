package api

import (
	"strconv"

	"github.com/rcemu/rcemu/internal/rc"
)

// parseID reads a numeric path id; anything else is CMN-101 naming the parameter.
func parseID(v, param string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, rc.Invalid(param)
	}
	return n, nil
}
