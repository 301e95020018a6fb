package policy

import "time"

// Key identifies a model. Callers intern model names into small dense
// integers so that policies can keep per-model state in slices.
type Key int32

// Entry describes a model that is, or is about to be, resident.
type Entry struct {
	Key Key
	// SizeBytes is the memory the loaded model takes.
	SizeBytes int64
	// LoadCost is the time a miss on this model costs (its load time).
	LoadCost time.Duration
}

// Policy chooses which resident models to evict. Times are offsets from a
// common origin (the start of a trace, or the node's start). A Policy is
// not safe for concurrent use; its owner serialises calls.
type Policy interface {
	// Name is the policy's short name, as shown in reports ("lru").
	Name() string
	// OnAccess records a request for e at now; hit says whether e was
	// resident. It is called for every request, before any eviction or
	// insertion the request causes.
	OnAccess(e Entry, now time.Duration, hit bool)
	// OnInsert records that e became resident at now.
	OnInsert(e Entry, now time.Duration)
	// OnRemove records that the model left the cache.
	OnRemove(k Key)
	// Victims returns resident models whose eviction frees at least need
	// bytes, choosing only among those for which evictable returns true,
	// to make room for the model of the request being served. It returns
	// fewer bytes than need when no other choice exists, and a policy with
	// admission control may return none to decline caching that model: the
	// caller then serves the request from a transient load. Declining is
	// only for callers that can serve without caching (the simulator); a
	// cache that must hold what it serves builds its policy with
	// NewServing, whose Victims never declines.
	Victims(need int64, now time.Duration, evictable func(Key) bool) []Key
}

// PeerAware is implemented by policies that value a model less when a
// peer holds a loaded copy that requests can be forwarded to.
type PeerAware interface {
	// SetPeerCopy records that a peer's copy of k is rtt away (rtt <= 0:
	// no peer has one).
	SetPeerCopy(k Key, rtt time.Duration)
}

// Hinted is implemented by policies that follow placement hints.
type Hinted interface {
	// SetHint weighs k by a hint: 0 is neutral, larger keeps k longer.
	SetHint(k Key, weight float64)
}

// LoadTimed is implemented by policies that weigh loads differently when
// they complete at once (the classic accounting of caching papers, which
// the simulator can replay) from when they take their load time (a node,
// and the simulator's default).
type LoadTimed interface {
	SetInstantLoads(instant bool)
}
