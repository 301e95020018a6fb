package sim

import (
	"math"
	"time"
)

// gossipRateFloor is the smallest rate a node gossips (node/rates.go
// drops smaller ones).
const gossipRateFloor = 1e-3

// demand is what a node gossips of the requests it served: per model,
// requests/s smoothed exponentially as node/rates.go smooths them. As on
// the node, a forwarded request counts once, at the node it reached (the
// peer that serves it does not count it again). Only the models with a count or a rate are
// visited, so folding costs what the node recently served, not every
// model.
type demand struct {
	m      []modelDemand // by model
	active []int32       // models with a count or a rate
}

// modelDemand is one model's demand at a node, kept together so that a
// request touches one cache line.
type modelDemand struct {
	// rate is the smoothed requests/s; gossiped is the rate as gossip
	// carries it (node/rates.go): rounded to thousandths.
	rate, gossiped float64
	count          int32 // requests in the current interval
	active         bool  // in demand.active
}

func newDemand(models int) demand { return demand{m: make([]modelDemand, models)} }

// request counts one request for k.
func (d *demand) request(k int32) {
	m := &d.m[k]
	if !m.active {
		m.active = true
		d.active = append(d.active, k)
	}
	m.count++
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
		m := &d.m[k]
		r := keep*m.rate + (1-keep)*float64(m.count)/dt.Seconds()
		if m.count = 0; r < gossipRateFloor {
			*m = modelDemand{}
			continue
		}
		m.rate, m.gossiped = r, math.Round(r*1000)/1000
		kept = append(kept, k)
	}
	d.active = kept
}

// gossiped is k's rate as gossip carries it.
func (d *demand) gossiped(k int32) float64 { return d.m[k].gossiped }
