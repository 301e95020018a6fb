package profile

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrMalformed is wrapped by every error about malformed profile input.
var ErrMalformed = errors.New("profile: malformed input")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// maxDuration bounds accepted times (a day) so that conversions cannot
// overflow and absurd measurements are caught.
const maxDuration = 24 * time.Hour

// duration converts a measured number of unit (time.Millisecond,
// time.Second) into a Duration, rejecting negative and absurd values.
func duration(v float64, unit time.Duration) (time.Duration, bool) {
	d := v * float64(unit)
	if !(d >= 0) || d > float64(maxDuration) || math.IsInf(v, 0) {
		return 0, false
	}
	return time.Duration(math.Round(d)), true
}

// megabytes converts a published size in MB (10^6 bytes) to bytes.
func megabytes(mb float64) int64 { return int64(math.Round(mb * 1e6)) }
