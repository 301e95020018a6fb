package route

import (
	"iter"
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
