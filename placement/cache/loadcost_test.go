package cache

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// costPolicy is LRU that records the load cost of each miss it is told of.
type costPolicy struct {
	policy.Policy
	mu     sync.Mutex
	misses []time.Duration
}

func (p *costPolicy) OnAccess(e policy.Entry, now time.Duration, hit bool) {
	if !hit {
		p.mu.Lock()
		p.misses = append(p.misses, e.LoadCost)
		p.mu.Unlock()
	}
	p.Policy.OnAccess(e, now, hit)
}

func (p *costPolicy) lastMiss() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.misses[len(p.misses)-1]
}

// TestLoadCostFollowsPageCache: with Deps.PageCached, the load cost a
// miss hands the policy grows with the share of the model's weights that
// is not in the page cache: the warm load's time with all of it cached,
// that time times ColdLoadFactor with none until a cold load was timed,
// then between the two timed loads by the uncached share. Without
// PageCached it is the last load's time, as before.
func TestLoadCostFollowsPageCache(t *testing.T) {
	for _, withResidency := range []bool{true, false} {
		cfg := testConfig(1 << 20)
		cfg.ColdLoadFactor = 3
		p := &costPolicy{Policy: newPolicy(t, "lru")}
		var mu sync.Mutex
		cached := 1.0
		deps := Deps[*fakeModel]{Loader: newFakeLoader(nil, 10), Policy: p, Registerer: prometheus.NewRegistry()}
		if withResidency {
			deps.PageCached = func(string) (float64, bool) { mu.Lock(); defer mu.Unlock(); return cached, true }
		}
		c, err := New(cfg, deps)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		miss := func(share float64) (cost, lastLoad time.Duration) {
			t.Helper()
			mu.Lock()
			cached = share
			mu.Unlock()
			before, _ := c.Facts("m")
			c.Unload("m")
			use(t, c, "m", 10)
			return p.lastMiss(), before.LoadTime
		}
		use(t, c, "m", 10) // first load, all cached: the warm time
		warm, _ := c.Facts("m")
		if warm.LoadTime <= 0 {
			t.Fatalf("load time %v", warm.LoadTime)
		}
		cost, last := miss(0) // none cached, no cold load timed yet
		if want := time.Duration(float64(warm.LoadTime) * 3); withResidency && cost != want {
			t.Fatalf("miss with nothing cached after a warm load of %v: cost %v, want %v", warm.LoadTime, cost, want)
		}
		if !withResidency && cost != last {
			t.Fatalf("without PageCached: cost %v, want the last load's %v", cost, last)
		}
		cold, _ := c.Facts("m") // the load just made, nothing cached
		cost, last = miss(0.25)
		want := warm.LoadTime + time.Duration(0.75*float64(max(cold.LoadTime-warm.LoadTime, 0)))
		if withResidency && cost != want {
			t.Fatalf("miss with a quarter cached (warm %v, cold %v): cost %v, want %v", warm.LoadTime, cold.LoadTime, cost, want)
		}
		if !withResidency && cost != last {
			t.Fatalf("without PageCached: cost %v, want the last load's %v", cost, last)
		}
	}
}

// TestColdLoadFactorValidated: a factor below 1 cannot be a cold load's.
func TestColdLoadFactorValidated(t *testing.T) {
	cfg := DefaultConfig()
	for _, f := range []float64{0.5, -1} {
		cfg.ColdLoadFactor = f
		if err := cfg.Validate(); err == nil {
			t.Fatalf("ColdLoadFactor %v accepted", f)
		}
	}
	for _, f := range []float64{0, 1, 2.5} {
		cfg.ColdLoadFactor = f
		if err := cfg.Validate(); err != nil {
			t.Fatalf("ColdLoadFactor %v: %v", f, err)
		}
	}
}
