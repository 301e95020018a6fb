package cache

import (
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// substituteRecorder is LRU that records the substitute costs it is given.
type substituteRecorder struct {
	policy.Policy
	costs map[policy.Key]time.Duration
}

func (r *substituteRecorder) SetSubstitute(k policy.Key, d time.Duration) { r.costs[k] = d }

func TestSubstitutesReachThePolicy(t *testing.T) {
	rec := &substituteRecorder{Policy: newPolicy(t, "lru"), costs: map[policy.Key]time.Duration{}}
	c := newTestCacheWith(t, testConfig(1000), newFakeLoader(nil, 10), nil, rec)
	use(t, c, "a", 10)
	if !c.SetSubstitute("b", 40*time.Millisecond) || !c.SetSubstitute("a", policy.NoSubstitute) {
		t.Fatal("a policy with the hook refused it")
	}
	// a was interned first (key 0), b second (key 1).
	if rec.costs[1] != 40*time.Millisecond || rec.costs[0] != policy.NoSubstitute {
		t.Fatalf("costs %v", rec.costs)
	}
	plain := newTestCache(t, testConfig(1000), newFakeLoader(nil, 10), nil)
	if plain.SetSubstitute("a", time.Millisecond) {
		t.Fatal("LRU has no substitutes, yet the cost was reported taken")
	}
	es, err := policy.NewServing("edgeserve", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := es.(policy.Substitutable); !ok {
		t.Fatal("the node's EdgeServe policy (serving form) does not take substitutes")
	}
}
