package cache

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testutil"
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
	if plain.SetPeerCopy("a", time.Millisecond) {
		t.Fatal("LRU has no peer-copy hook, yet the peer copy was reported taken")
	}
}

// TestHintedModelsAreEvictedLast: under LRU, which knows nothing of hints,
// the cache still evicts a hinted model only when the models that are not
// hinted cannot make the room; and Preload loads without counting a
// request.
func TestHintedModelsAreEvictedLast(t *testing.T) {
	c := newTestCache(t, testConfig(30), newFakeLoader(nil, 10), nil)
	use(t, c, "hinted", 10) // least recently used: LRU's first victim
	use(t, c, "b", 10)
	use(t, c, "c", 10)
	if !c.SetHint("hinted", 1) {
		t.Fatal("hint refused")
	}
	use(t, c, "d", 10) // needs 10: b, not hinted, goes
	if !c.Resident("hinted") || c.Resident("b") {
		t.Fatalf("hinted resident %v, b resident %v: want the hinted model kept, b evicted", c.Resident("hinted"), c.Resident("b"))
	}
	c.SetHint("hinted", 0)
	use(t, c, "e", 10) // hint withdrawn: LRU's order again
	if c.Resident("hinted") {
		t.Fatal("the model stayed after its hint was withdrawn")
	}
	if err := c.Preload(context.Background(), "f", AcquireOptions{SizeHintBytes: 10}); err != nil {
		t.Fatal(err)
	}
	if f, _ := c.Facts("f"); !c.Resident("f") || f.Hits+f.Misses != 0 {
		t.Fatalf("preload: resident %v, requests counted %+v", c.Resident("f"), f)
	}
}

// TestPreloadEvictsOnlyColdUnhintedModels: a load with EvictIdleFor (a
// hint's preload) takes the place of a model neither hinted nor used
// within that time, and is declined at once, evicting nothing, when only
// hinted or recently used models could make the room.
func TestPreloadEvictsOnlyColdUnhintedModels(t *testing.T) {
	clock := newFakeClock()
	c := newTestCache(t, testConfig(30), newFakeLoader(nil, 10), clock)
	use(t, c, "cold", 10)
	use(t, c, "hinted", 10)
	c.SetHint("hinted", 1)
	clock.Advance(20 * time.Second)
	use(t, c, "warm", 10) // used 20 s after the others
	opts := AcquireOptions{SizeHintBytes: 10, EvictIdleFor: 10 * time.Second}

	if err := c.Preload(context.Background(), "p1", opts); err != nil {
		t.Fatalf("preload with a cold model to evict: %v", err)
	}
	if got := residents(c); !slices.Equal(got, []string{"hinted", "p1", "warm"}) {
		t.Fatalf("residents %v: want the cold model, and only it, evicted", got)
	}
	err := c.Preload(context.Background(), "p2", opts)
	if !errors.Is(err, ErrDeclined) {
		t.Fatalf("preload with only hinted and warm models to evict: %v, want ErrDeclined", err)
	}
	if got := residents(c); !slices.Equal(got, []string{"hinted", "p1", "warm"}) {
		t.Fatalf("residents %v after a declined preload: want nothing evicted", got)
	}
	// Without the rule, the same load evicts as a request's would.
	if err := c.Preload(context.Background(), "p2", AcquireOptions{SizeHintBytes: 10}); err != nil {
		t.Fatal(err)
	}
	if !c.Resident("hinted") || !c.Resident("p2") {
		t.Fatalf("residents %v: want p2 loaded and the hinted model kept", residents(c))
	}
}

// TestPreloadKeepsTheClusterLastCopy: with EvictSoleIdleFor, a preload
// takes the place of a cold model another node holds, and of a model no
// other node holds only once that one has been idle for the longer time.
func TestPreloadKeepsTheClusterLastCopy(t *testing.T) {
	clock := newFakeClock()
	c := newTestCache(t, testConfig(30), newFakeLoader(nil, 10), clock)
	use(t, c, "sole", 10)
	use(t, c, "shared", 10)
	clock.Advance(20 * time.Second)
	use(t, c, "warm", 10)
	held := map[string]bool{"shared": true}
	opts := AcquireOptions{SizeHintBytes: 10, EvictIdleFor: 10 * time.Second, EvictSoleIdleFor: 60 * time.Second,
		HeldElsewhere: func(name string) bool { return held[name] }}

	if err := c.Preload(context.Background(), "p1", opts); err != nil {
		t.Fatalf("preload with a cold model held elsewhere to evict: %v", err)
	}
	if got := residents(c); !slices.Equal(got, []string{"p1", "sole", "warm"}) {
		t.Fatalf("residents %v: want the copy held elsewhere, and only it, evicted", got)
	}
	err := c.Preload(context.Background(), "p2", opts)
	if !errors.Is(err, ErrDeclined) {
		t.Fatalf("preload with only the last copy idle 20 s of 60 s: %v, want ErrDeclined", err)
	}
	if got := residents(c); !slices.Equal(got, []string{"p1", "sole", "warm"}) {
		t.Fatalf("residents %v after a declined preload: want nothing evicted", got)
	}
	clock.Advance(40 * time.Second) // sole now idle 60 s; warm and p1 40 s
	if err := c.Preload(context.Background(), "p2", opts); err != nil {
		t.Fatalf("preload once the last copy is idle for the longer time: %v", err)
	}
	if c.Resident("sole") || !c.Resident("p2") {
		t.Fatalf("residents %v: want the last copy evicted for p2", residents(c))
	}
	// Without HeldElsewhere every model counts as held elsewhere.
	opts.HeldElsewhere = nil
	if err := c.Preload(context.Background(), "p3", opts); err != nil {
		t.Fatalf("preload without a view of the cluster: %v", err)
	}
}

// TestRequestLoadSparesTheClusterLastCopy: with a victim preference, a
// request's load evicts a model cheap to evict (held elsewhere for less
// than a load) or one idle for the preference's time before the least
// recently used model that is neither, and that one when nothing else
// makes the room.
func TestRequestLoadSparesTheClusterLastCopy(t *testing.T) {
	clock := newFakeClock()
	c := newTestCache(t, testConfig(30), newFakeLoader(nil, 10), clock)
	use(t, c, "sole", 10)
	clock.Advance(time.Second)
	use(t, c, "shared", 10)
	clock.Advance(time.Second)
	use(t, c, "warm", 10)
	held := map[string]bool{"shared": true}
	var asked []time.Duration
	c.SetVictimPreference(func(name string, loadTime time.Duration) bool {
		asked = append(asked, loadTime)
		return held[name]
	}, time.Minute)
	acquire := func(name string) {
		t.Helper()
		h, err := c.Acquire(context.Background(), name, AcquireOptions{SizeHintBytes: 10})
		if err != nil {
			t.Fatalf("acquire %s: %v", name, err)
		}
		h.Release()
	}
	acquire("r1")
	if got := residents(c); !slices.Equal(got, []string{"r1", "sole", "warm"}) {
		t.Fatalf("residents %v: want the copy held elsewhere evicted, not the least recently used last copy", got)
	}
	if len(asked) == 0 || asked[0] <= 0 {
		t.Fatalf("the preference was asked with load times %v: want the measured one", asked)
	}
	acquire("r2") // no model is cheap to evict: the least recently used goes
	if got := residents(c); !slices.Equal(got, []string{"r1", "r2", "warm"}) {
		t.Fatalf("residents %v: want the least recently used model evicted when none is cheap", got)
	}
	clock.Advance(time.Minute) // everything idle for the preference's time
	use(t, c, "r1", 10)
	acquire("r3")
	if got := residents(c); !slices.Equal(got, []string{"r1", "r2", "r3"}) {
		t.Fatalf("residents %v: want the least recently used of the idle ones (warm) evicted", got)
	}
	use(t, c, "r2", 10) // r1 is now the least recently used; r3 would be cheap
	held["r3"] = true
	c.SetVictimPreference(nil, 0)
	acquire("r4")
	if got := residents(c); !slices.Equal(got, []string{"r2", "r3", "r4"}) {
		t.Fatalf("residents %v: want the least recently used evicted without a preference", got)
	}
}

// TestRequestJoiningAPreloadLiftsItsRule: a preload's narrow eviction
// rule binds only while nobody waits for the model. A model that
// measures more than its preload reserved is declined when only a warm
// model could make the room; when a request joined the load, the warm
// model is evicted as for any request's load, and the request is served.
func TestRequestJoiningAPreloadLiftsItsRule(t *testing.T) {
	for _, joined := range []bool{false, true} {
		l := newFakeLoader(map[string]int64{"p": 20}, 10)
		c := newTestCache(t, testConfig(25), l, newFakeClock())
		use(t, c, "warm", 10) // used just now
		l.gate, l.gateOnly = make(chan struct{}), "p"
		preloaded := make(chan error, 1)
		go func() {
			preloaded <- c.Preload(context.Background(), "p", AcquireOptions{SizeHintBytes: 10, EvictIdleFor: 10 * time.Second})
		}()
		testutil.Eventually(t, "the preload waits in its load", func() bool { return waiters(c, "p") == 1 })
		served := make(chan error, 1)
		if joined {
			go func() {
				h, err := c.Acquire(context.Background(), "p", AcquireOptions{SizeHintBytes: 10})
				if err == nil {
					h.Release()
				}
				served <- err
			}()
			testutil.Eventually(t, "the request joins the load", func() bool { return waiters(c, "p") == 2 })
		}
		close(l.gate) // p measures 20: 5 over the budget unless warm goes
		err := <-preloaded
		switch {
		case !joined && !errors.Is(err, ErrDeclined):
			t.Fatalf("preload alone: %v, want ErrDeclined", err)
		case !joined && !c.Resident("warm"):
			t.Fatal("preload alone evicted the warm model")
		case joined && err != nil:
			t.Fatalf("preload joined by a request: %v", err)
		case joined && (<-served != nil || c.Resident("warm") || !c.Resident("p")):
			t.Fatalf("joined: residents %v, want p served in warm's place", residents(c))
		}
	}
}

// TestDeclinedPreloadTakesNoLoadSlot: a preload that cannot make room is
// declined before it waits for a load slot, so it never queues in front
// of (or behind) the loads requests wait for.
func TestDeclinedPreloadTakesNoLoadSlot(t *testing.T) {
	l := newFakeLoader(nil, 10)
	cfg := testConfig(20)
	cfg.MaxConcurrentLoads = 1
	c := newTestCache(t, cfg, l, newFakeClock())
	use(t, c, "warm", 10)
	l.gate, l.gateOnly = make(chan struct{}), "busy"
	defer close(l.gate)
	go func() {
		if h, err := c.Acquire(context.Background(), "busy", AcquireOptions{SizeHintBytes: 10}); err == nil {
			h.Release()
		}
	}()
	testutil.Eventually(t, "a request's load holds the only slot", func() bool { return l.count("busy") == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := c.Preload(ctx, "p", AcquireOptions{SizeHintBytes: 10, EvictIdleFor: 10 * time.Second})
	if !errors.Is(err, ErrDeclined) {
		t.Fatalf("preload with no cold model while the slot is busy: %v, want ErrDeclined at once", err)
	}
}
