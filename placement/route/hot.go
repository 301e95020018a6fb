package route

import (
	"cmp"
	"iter"
	"slices"
	"time"
)

// DefaultHotWindow is the node's rule for declining a load (Local.Declined):
// a load that would evict a model that served a request within the last
// 30 s is not worth it while a peer can serve the request.
const DefaultHotWindow = 30 * time.Second

// EvictsHot reports whether making need bytes of room on a node with free
// bytes free would evict a model that served a request within window.
// loaded yields every model the cache could evict (loaded, not pinned, not
// loading): its bytes and how long it has been idle (since it last served
// a request). The cache evicts the least recently used
// models first, and every model idle for window or longer comes before
// every hot one in that order, so the load evicts a hot model exactly when
// the idle models' bytes fall short of the deficit.
func EvictsHot(need, free int64, window time.Duration, loaded iter.Seq2[int64, time.Duration]) bool {
	deficit := need - free
	if deficit <= 0 {
		return false
	}
	for bytes, idle := range loaded {
		if idle < window {
			continue
		}
		if deficit -= bytes; deficit <= 0 {
			return false
		}
	}
	return true
}

// Victim is a model a load could evict: its bytes, how long it has been
// idle, its request rate at the node (per second), and what each of its
// requests would cost once it is gone (a forward to the nearest copy, or
// its own load when no peer holds one).
type Victim struct {
	Bytes    int64
	Idle     time.Duration
	Rate     float64
	MissCost time.Duration
}

// Demand is the missed model's side of WorthEvicting: its request rate at
// the node (per second), what each of its requests saves when it is
// served here rather than by the best peer (Saved), and its load.
type Demand struct {
	Rate  float64
	Saved time.Duration
	Load  time.Duration
}

// WorthEvicting is EvictsHot weighed by demand: it reports whether making
// need bytes of room (free bytes free) for the missed model d is worth it.
// Models idle for window or longer go first and cost nothing, as in
// EvictsHot; when they fall short, the hot ones go least recently used
// first, and the load is worth it only if the forwards it saves over the
// window (d.Rate x window x d.Saved) exceed its load plus what the hot
// victims' requests then cost over the same window (Rate x window x
// MissCost each). A model with no demand yet never displaces a hot one;
// one in demand does once its forwards cost more than the load and the
// misses it causes, so a model that is asked for repeatedly is not
// forwarded for a whole window behind last minute's hot set, while a
// costly load, or a victim that would itself be missed, keeps it out.
func WorthEvicting(need, free int64, d Demand, window time.Duration, victims iter.Seq[Victim]) bool {
	cost, hot, ok := evictionCost(need, free, window, victims)
	switch {
	case !ok:
		return false // the hot models do not make the room either
	case !hot:
		return true
	}
	return d.Rate*window.Seconds()*d.Saved.Seconds() > d.Load.Seconds()+cost
}

// WorthACopy reports whether a copy of the missed model d, loaded here in
// the background while its requests go to a peer, is worth it: the
// forwards it saves over the window (d.Rate x window x d.Saved) must
// exceed its load plus what the hot victims' requests then cost over the
// window, as in WorthEvicting, but the load is paid even when free
// memory or idle models make the room: it takes the loader, and a model
// asked for once is better forwarded than copied. No request waits for
// the copy, so its load counts as the work it is, not as a wait.
func WorthACopy(need, free int64, d Demand, window time.Duration, victims iter.Seq[Victim]) bool {
	cost, _, ok := evictionCost(need, free, window, victims)
	return ok && d.Rate*window.Seconds()*d.Saved.Seconds() > d.Load.Seconds()+cost
}

// evictionCost is what making need bytes of room (free bytes free) costs
// over window: nothing when free memory and models idle for window or
// longer make it; else the hot victims', least recently used first, each
// Rate x window x MissCost (in seconds), hot saying they were needed.
// False: the hot models do not make the room either.
func evictionCost(need, free int64, window time.Duration, victims iter.Seq[Victim]) (cost float64, hot, ok bool) {
	deficit := need - free
	if deficit <= 0 {
		return 0, false, true
	}
	var hots []Victim
	for v := range victims {
		if v.Idle >= window {
			deficit -= v.Bytes
			continue
		}
		hots = append(hots, v)
	}
	if deficit <= 0 {
		return 0, false, true
	}
	slices.SortStableFunc(hots, func(a, b Victim) int { return cmp.Compare(b.Idle, a.Idle) })
	for _, v := range hots {
		cost += v.Rate * window.Seconds() * v.MissCost.Seconds()
		if deficit -= v.Bytes; deficit <= 0 {
			return cost, true, true
		}
	}
	return 0, true, false
}
