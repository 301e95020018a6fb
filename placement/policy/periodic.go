package policy

import (
	"math"
	"time"
)

// periods estimates, per model, the period of timer-like arrivals: the gaps
// between bursts (gaps of at least minGap) and how much they jitter. Many
// Azure functions are timer-triggered, so their next request is
// predictable long after a decayed rate has forgotten them.
type periods struct {
	minGap    float64 // seconds
	maxJitter float64
	// gap is the EWMA of inter-burst gaps in seconds (0: none seen yet),
	// jitter the EWMA of |gap - estimate| / estimate, seen how many gaps.
	gap, jitter []float64
	seen        []int32
}

// periodAlpha weighs the newest gap in the moving averages.
const periodAlpha = 0.3

func newPeriods(n int, minGap time.Duration, maxJitter float64) periods {
	return periods{minGap: minGap.Seconds(), maxJitter: maxJitter, gap: make([]float64, n), jitter: make([]float64, n), seen: make([]int32, n)}
}

// observe records a request for k that came gap after the previous one.
func (ps *periods) observe(k Key, gap time.Duration) {
	g := gap.Seconds()
	if g < ps.minGap {
		return
	}
	if ps.seen[k] == 0 {
		ps.gap[k] = g
	} else {
		ps.jitter[k] += periodAlpha * (math.Abs(g-ps.gap[k])/ps.gap[k] - ps.jitter[k])
		ps.gap[k] += periodAlpha * (g - ps.gap[k])
	}
	ps.seen[k]++
}

// until returns how long after now k's next periodic request is due and
// whether k is periodic and its request still expected: a request a
// quarter period (plus a minute, the trace's resolution) late is given up.
func (ps *periods) until(k Key, last, now time.Duration) (float64, bool) {
	if ps.seen[k] < 2 || ps.jitter[k] > ps.maxJitter {
		return 0, false
	}
	left := ps.gap[k] - (now - last).Seconds()
	if left < -(ps.gap[k]/4 + 60) {
		return 0, false
	}
	return max(left, 0), true
}
