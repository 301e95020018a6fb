package sim

import "time"

// slots are the times at which each load slot frees (nil: unlimited).
type slots []time.Duration

func newSlots(n int) slots { return make(slots, n) }

// earliest is the index of the slot that frees first.
func (s slots) earliest() int {
	best := 0
	for i, t := range s {
		if t < s[best] {
			best = i
		}
	}
	return best
}

// wait is how long a load started now waits for a slot.
func (s slots) wait(now time.Duration) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return max(s[s.earliest()]-now, 0)
}

// start takes the first free slot for a load of d and returns when the
// load starts.
func (s slots) start(now, d time.Duration) time.Duration {
	if len(s) == 0 {
		return now
	}
	i := s.earliest()
	at := max(s[i], now)
	s[i] = at + d
	return at
}

func cmp0(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
