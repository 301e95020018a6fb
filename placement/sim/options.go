package sim

import (
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// Options tunes a replay. The zero value replays silently.
type Options struct {
	// Progress, when set, is called with the number of requests replayed
	// so far, every ProgressEvery requests and once at the end.
	Progress func(done int)
	// ProgressEvery is the number of requests between Progress calls
	// (default 1<<16).
	ProgressEvery int
	// InstantLoads is the classic accounting of caching papers: a load
	// completes the moment it starts, so a miss costs its model's LoadTime,
	// there are no delayed hits, and a model can be evicted right after it
	// is loaded. The default charges what a node sees: loads take time,
	// requests during a load wait for it, and a loading model cannot be
	// evicted.
	InstantLoads bool
	// Forward, when set, replays a node that forwards what it does not
	// load to a peer (Forward's comment) instead of serving it from a
	// transient load.
	Forward *Forward
}

// Preloader is implemented by policies that also load models ahead of
// demand. Run calls Preload after each request while memory is not full;
// each returned model that is not resident and fits in freeBytes starts
// loading at now and becomes usable at now plus its LoadTime. Preloads
// never evict.
type Preloader interface {
	Preload(now time.Duration, freeBytes int64, resident func(policy.Key) bool) []policy.Key
}
