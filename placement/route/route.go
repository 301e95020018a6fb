// Package route is the miss router's cost model: for a request whose model
// is not loaded on the node it reached, it ranks the places it could run
// by predicted latency. It is pure (no I/O), so the node and the
// simulator decide alike.
//
// The options, each with its predicted time to the request's answer:
//
//   - load here: this node's load queue, the model's load (its measured
//     fast-form load, or before one exists an estimate from its size,
//     scaled to the loads the node measured: LoadSpeed),
//     fetching its bytes from a peer when they are not on disk, and the
//     run;
//   - forward-hit: a peer that has the model loaded: the predicted RTT,
//     the peer's queue ahead of the request, and the run;
//   - forward-load: a peer that could load it sooner than this node (it
//     has room, this node has none worth giving): RTT, its load queue, its
//     load and the run; or a peer already loading it (gossiped), which
//     has, on average, half of its load left: RTT, that half and the run.
//     A region's nodes that miss a model held nowhere thus wait for one
//     load instead of each starting its own.
//
// A model the policy declines to cache here (not worth the room) drops the
// local load from the options while another exists. The caller tries the
// options in order and falls back to the next when one fails.
package route

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// Kind is where a request runs.
type Kind string

const (
	Hit         Kind = "hit" // loaded here: no routing needed
	Load        Kind = "load"
	ForwardHit  Kind = "forward-hit"
	ForwardLoad Kind = "forward-load"
)

// Local is what this node knows of its own cost for the model.
type Local struct {
	// LoadTime is the model's load (measured, or estimated).
	LoadTime time.Duration
	// FetchTime is the transfer of its bytes when they are not on disk
	// (0 when they are).
	FetchTime time.Duration
	// Queue is the wait before a load can start (loads ahead of it).
	Queue time.Duration
	// Run is the model's warm run time.
	Run time.Duration
	// Declined says the policy would rather not cache the model here.
	Declined bool
	// NoRoom says the model cannot be loaded here now at all.
	NoRoom bool
}

// Peer is one other node that could serve the request.
type Peer struct {
	Name string
	// RTT is the predicted round-trip time to the peer.
	RTT time.Duration
	// Loaded says the peer has the model loaded, Loading that its load is
	// in progress there.
	Loaded, Loading bool
	// Queue is the number of requests the peer is serving or queueing.
	Queue int
	// Run is the model's warm run time there.
	Run time.Duration
	// LoadTime is the model's load there (for forward-load), FetchTime
	// the transfer of its bytes there when the peer is not known to hold
	// them, and Room whether the peer has headroom for it.
	LoadTime  time.Duration
	FetchTime time.Duration
	Room      bool
}

// Option is one place to run the request and its predicted latency.
type Option struct {
	Kind Kind
	Node string // the peer; "" for this node
	Cost time.Duration
}

// Choose ranks the options, cheapest first (ties: here before a peer,
// then by peer name). The local load is always among them unless the node
// has no room: it is the last resort when every peer fails.
func Choose(local Local, peers []Peer) []Option { return ChooseInto(nil, local, peers) }

// ChooseInto is Choose writing into dst's memory (dst[:0]), for a caller
// that decides many times (the simulator) and keeps no ranking.
func ChooseInto(dst []Option, local Local, peers []Peer) []Option {
	out := dst[:0]
	for _, p := range peers {
		switch {
		case p.Loaded:
			out = append(out, Option{Kind: ForwardHit, Node: p.Name, Cost: p.Cost()})
		case p.Room || p.Loading:
			out = append(out, Option{Kind: ForwardLoad, Node: p.Name, Cost: p.Cost()})
		}
	}
	slices.SortStableFunc(out, func(a, b Option) int {
		if c := cmp.Compare(a.Cost, b.Cost); c != 0 {
			return c
		}
		return cmp.Compare(a.Node, b.Node)
	})
	if local.NoRoom {
		return out
	}
	here := Option{Kind: Load, Cost: local.Cost()}
	if local.Declined && len(out) > 0 {
		return append(out, here) // not worth the room: a last resort only
	}
	i := slices.IndexFunc(out, func(o Option) bool { return o.Cost >= here.Cost }) // a tie goes to this node
	if i < 0 {
		i = len(out)
	}
	return slices.Insert(out, i, here)
}

// Cost is the predicted latency of loading the model here and running it.
func (l Local) Cost() time.Duration { return l.Queue + l.FetchTime + l.LoadTime + l.Run }

// Cost is the predicted latency of forwarding to the peer: a run behind
// its queue when it has the model loaded, else after loading it too (the
// rest of a load in progress there: half of it, its start being unknown).
func (p Peer) Cost() time.Duration {
	c := p.RTT + time.Duration(p.Queue+1)*p.Run
	switch {
	case p.Loaded:
	case p.Loading:
		c += p.LoadTime / 2
	default:
		c += p.FetchTime + p.LoadTime
	}
	return c
}

// EstimateLoad predicts a model's load before one was measured, from its
// file size: a fixed session cost plus reading and preparing the bytes.
func EstimateLoad(sizeBytes int64) time.Duration {
	const fixed = 30 * time.Millisecond
	const bytesPerSecond = 400 << 20
	return fixed + time.Duration(float64(sizeBytes)/bytesPerSecond*float64(time.Second))
}

// LoadSpeed scales EstimateLoad to the loads a node has measured: the
// constant's disk and runtime speeds are nobody's machine, and a node
// that guessed a load from them would load a model it should forward
// (or forward one it should load) until it had loaded that very model.
// Each measured load moves the scale a fifth of the way to its own
// (measured / EstimateLoad of its size). Safe for concurrent use; the
// zero value estimates with EstimateLoad.
type LoadSpeed struct {
	mu    sync.Mutex
	scale float64 // 0 before the first load
}

// loadSpeedWeight is the weight of the newest load in LoadSpeed's scale.
const loadSpeedWeight = 0.2

// Observe records a load of a model of sizeBytes (file) that took took.
func (s *LoadSpeed) Observe(sizeBytes int64, took time.Duration) {
	if sizeBytes < 0 || took <= 0 {
		return
	}
	x := float64(took) / float64(EstimateLoad(sizeBytes))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.scale == 0 {
		s.scale = x
		return
	}
	s.scale += loadSpeedWeight * (x - s.scale)
}

// Estimate predicts the load of a model of sizeBytes never loaded here:
// EstimateLoad scaled to the loads observed.
func (s *LoadSpeed) Estimate(sizeBytes int64) time.Duration {
	d := EstimateLoad(sizeBytes)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.scale == 0 {
		return d
	}
	return time.Duration(s.scale * float64(d))
}

// EstimateFetch predicts moving sizeBytes from a peer rtt away, assuming
// the link moves bytesPerSecond.
func EstimateFetch(sizeBytes int64, rtt time.Duration, bytesPerSecond float64) time.Duration {
	if bytesPerSecond <= 0 {
		return rtt
	}
	return 2*rtt + time.Duration(float64(sizeBytes)/bytesPerSecond*float64(time.Second))
}

// EstimateRun predicts a model's warm run before one was measured, from
// its file size: a prior of about a millisecond per megabyte of weights
// (the compute of an image model grows roughly with its weights), which
// the first measured run replaces.
func EstimateRun(sizeBytes int64) time.Duration {
	const bytesPerSecond = 1e9
	return time.Millisecond + time.Duration(float64(max(sizeBytes, 0))/bytesPerSecond*float64(time.Second))
}
