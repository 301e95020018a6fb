//go:build !unix

package sim

import "time"

// cpuTime is unknown here: the req/cpu-s metric is left out.
func cpuTime() time.Duration { return 0 }
