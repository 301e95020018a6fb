package hints

import "time"

// Passed remembers, between plans, where a region's demand has gone: per
// model, when the region last asked for it at HotRate or more, and since
// when the neighbouring regions have asked for it at NeighbourRate or more
// (one episode, until their rate falls below the hysteresis band). A model
// the region was hot on during the neighbours' episode, or within
// PlanConfig.PassedWindow before it began, is one whose demand moved from
// here to there: Fill marks it in Input.Passed, and the planner gives it
// no neighbour copy. A neighbour copy is for demand that may arrive here
// next; demand that has just left does not come back because a
// neighbour still asks for the model.
//
// The memory is the leader's own (it starts empty on a new leader, which
// then plans as if nothing had passed). Not safe for concurrent use.
type Passed struct {
	hot  map[string]time.Time // last moment the region's rate was >= HotRate
	next map[string]time.Time // start of the neighbours' current episode
}

// NewPassed is an empty memory.
func NewPassed() *Passed {
	return &Passed{hot: map[string]time.Time{}, next: map[string]time.Time{}}
}

// Fill records in's rates at now and sets in.Passed (replacing it) for
// cfg's rules; with cfg.PassedWindow <= 0 or no neighbour hints it clears
// it and remembers nothing.
func (p *Passed) Fill(cfg PlanConfig, now time.Time, in *Input) {
	in.Passed = nil
	if cfg.PassedWindow <= 0 || cfg.NeighbourRate <= 0 {
		clear(p.hot)
		clear(p.next)
		return
	}
	rates := regionRates(in.Nodes, len(in.Models))
	for m := range in.Models {
		if rates[m] >= cfg.HotRate {
			p.hot[m] = now
		}
		switch _, on := p.next[m]; {
		case in.Neighbours[m] >= cfg.NeighbourRate && !on:
			p.next[m] = now
		case in.Neighbours[m] < cfg.NeighbourRate*cfg.Hysteresis && on:
			delete(p.next, m)
		}
	}
	for m, since := range p.next {
		if _, ok := in.Models[m]; !ok {
			delete(p.next, m) // deleted, or below every band (left out of the input)
			continue
		}
		if last, ok := p.hot[m]; ok && !last.Before(since.Add(-cfg.PassedWindow)) {
			if in.Passed == nil {
				in.Passed = map[string]bool{}
			}
			in.Passed[m] = true
		}
	}
	for m, last := range p.hot {
		if _, on := p.next[m]; !on && now.Sub(last) > cfg.PassedWindow {
			delete(p.hot, m) // too old to mark an episode that begins from now on
		}
	}
}
