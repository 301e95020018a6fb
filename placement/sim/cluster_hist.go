package sim

import (
	"math"
	"math/bits"
	"time"
)

// histogram counts latencies in log-linear buckets (as HdrHistogram does):
// exact below 256 ns, then 128 buckets per power of two, so that a
// bucket's values are within 1/128 of each other. Each bucket keeps the
// sum of its values and reports their mean, exact when they are all equal.
// Its size is fixed: it does not grow with the number of values.
type histogram struct {
	count [histBuckets]int64
	sum   [histBuckets]int64
	n     int64
}

const (
	histSub     = 7 // 2^7 buckets per power of two
	histBuckets = (64-histSub)<<histSub + 1<<(histSub+1)
)

func histIndex(v int64) int {
	if v < 1<<(histSub+1) {
		return int(max(v, 0))
	}
	e := bits.Len64(uint64(v)) - (histSub + 1)
	return e<<histSub + int(v>>e)
}

func (h *histogram) add(d time.Duration) {
	i := histIndex(int64(d))
	h.count[i]++
	h.sum[i] += int64(d)
	h.n++
}

// quantile is the nearest-rank q-quantile: the mean of the bucket that
// holds it.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(q*float64(h.n))), 1)
	var seen int64
	for i, c := range h.count {
		if seen += c; seen >= rank {
			return time.Duration(h.sum[i] / c)
		}
	}
	return 0 // not reached
}
