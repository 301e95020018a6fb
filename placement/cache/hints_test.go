package cache

import (
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// hintRecorder is LRU that records the hints and peer copies it is given.
type hintRecorder struct {
	policy.Policy
	hints map[policy.Key]float64
	peers map[policy.Key]time.Duration
}

func (r *hintRecorder) SetHint(k policy.Key, w float64)           { r.hints[k] = w }
func (r *hintRecorder) SetPeerCopy(k policy.Key, d time.Duration) { r.peers[k] = d }

func TestHintsReachThePolicy(t *testing.T) {
	rec := &hintRecorder{Policy: newPolicy(t, "lru"), hints: map[policy.Key]float64{}, peers: map[policy.Key]time.Duration{}}
	c := newTestCacheWith(t, testConfig(1000), newFakeLoader(nil, 10), nil, rec)
	use(t, c, "a", 10)
	if !c.SetHint("b", 2.5) || !c.SetPeerCopy("a", 3*time.Millisecond) {
		t.Fatal("a policy with hooks refused them")
	}
	// a was interned first (key 0), b second (key 1).
	if rec.hints[1] != 2.5 || rec.peers[0] != 3*time.Millisecond {
		t.Fatalf("hints %v, peers %v", rec.hints, rec.peers)
	}
	plain := newTestCache(t, testConfig(1000), newFakeLoader(nil, 10), nil)
	if plain.SetHint("a", 1) || plain.SetPeerCopy("a", time.Millisecond) {
		t.Fatal("LRU has no hooks, yet the hint was reported taken")
	}
	if _, ok := plain.Facts("a"); ok {
		t.Fatal("a refused hint interned the model")
	}
}
