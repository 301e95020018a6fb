package policy

import (
	"math"
	"time"
)

// memory chooses how long the EdgeServe policy remembers requests. A small
// cache evicts models idle for seconds: only current demand matters, and a
// short half-life with admission control keeps busy models in. A large one
// evicts models idle for many minutes: long-term popularity then predicts
// reuse better, and admission control only turns away models that will be
// back. The typical idle time of victims (the cache's characteristic time,
// as in Che's approximation of LRU) tells which regime the cache is in.
type memory struct {
	long bool
	// logAge is the moving average of log10 of victims' idle seconds.
	logAge float64
	seen   bool
	// enter and leave are the log10 idle seconds that switch the long
	// memory on and off (apart, so that the mode does not flap).
	enter, leave float64
}

// memoryAlpha weighs the newest victim in the moving average.
const memoryAlpha = 0.05

func newMemory(enter, leave time.Duration) memory {
	return memory{enter: math.Log10(enter.Seconds()), leave: math.Log10(leave.Seconds())}
}

// evicted records a victim idle for idle and reports whether the mode
// switched.
func (m *memory) evicted(idle time.Duration) bool {
	x := math.Log10(max(idle.Seconds(), 1e-3))
	if !m.seen {
		m.logAge, m.seen = x, true
	} else {
		m.logAge += memoryAlpha * (x - m.logAge)
	}
	switch {
	case !m.long && m.logAge > m.enter:
		m.long = true
		return true
	case m.long && m.logAge < m.leave:
		m.long = false
		return true
	}
	return false
}
