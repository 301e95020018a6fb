package sim

import (
	"math"
	"time"
)

// gossipRateFloor is the smallest rate a node gossips (node/rates.go
// drops smaller ones); gossiped rates are rounded to it.
const gossipRateFloor = 1e-3

// demand is what a node gossips of the requests it served: per model,
// requests/s smoothed exponentially as node/rates.go smooths them. As on
// the node, a forwarded request counts at the node it reached and again
// at the peer that served it. Only the models with a count or a rate are
// visited, so folding costs what the node recently served, not every
// model.
type demand struct {
	count []int32   // requests in the current interval
	rate  []float64 // smoothed requests/s
	// gossiped is the rate as gossip carries it (node/rates.go): rounded
	// to thousandths.
	gossiped []float64
	active   []int32 // models with a count or a rate
	on       []bool  // on[k]: k is in active
}

func newDemand(models int) demand {
	return demand{count: make([]int32, models), rate: make([]float64, models), gossiped: make([]float64, models),
		on: make([]bool, models)}
}

// request counts one request for k.
func (d *demand) request(k int32) {
	if !d.on[k] {
		d.on[k] = true
		d.active = append(d.active, k)
	}
	d.count[k]++
}

// fold ends an interval of length dt: each model's rate moves towards the
// interval's count/dt with the half-life (0: the rate is that of the
// interval alone), rates below the gossip floor are dropped, and the
// counts restart.
func (d *demand) fold(dt, halfLife time.Duration) {
	keep := 0.0
	if halfLife > 0 {
		keep = math.Exp2(-dt.Seconds() / halfLife.Seconds())
	}
	kept := d.active[:0]
	for _, k := range d.active {
		r := keep*d.rate[k] + (1-keep)*float64(d.count[k])/dt.Seconds()
		d.count[k] = 0
		if r < gossipRateFloor {
			d.rate[k], d.gossiped[k], d.on[k] = 0, 0, false
			continue
		}
		d.rate[k], d.gossiped[k] = r, math.Round(r*1000)/1000
		kept = append(kept, k)
	}
	d.active = kept
}
