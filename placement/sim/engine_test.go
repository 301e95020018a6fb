package sim

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

const ms = time.Millisecond

func model(name string, size int64, load time.Duration) profile.Model {
	return profile.Model{Name: name, SizeBytes: size, LoadTime: load}
}

func reqs(pairs ...int64) []trace.Request {
	out := make([]trace.Request, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, trace.Request{Time: time.Duration(pairs[i]) * ms, Model: int32(pairs[i+1])})
	}
	return out
}

// TestRunHandComputed walks a trace whose every step was worked out by
// hand (see the comments) through the engine with an LRU.
func TestRunHandComputed(t *testing.T) {
	const a, b, c = 0, 1, 2
	w := &Workload{
		Models: []profile.Model{model("A", 60, 10*ms), model("B", 50, 20*ms), model("C", 40, 5*ms)},
		Requests: reqs(
			0, a, // miss: load A, ready at 10; wait 10
			5, a, // A still loading: delayed hit, wait 5
			20, b, // miss: evict A (ready, LRU); B ready at 40; wait 20
			25, c, // miss: fits (50+40<=100); C ready at 30; wait 5
			26, a, // miss: B and C still loading, nothing evictable: uncached load, wait 10
			50, a, // miss: evict B (older than C); wait 10
			50, c, // hit
		),
	}
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	got := Run(w, newTestLRU(3), 100, Options{})
	want := Result{
		Policy: "test-lru", CapacityBytes: 100, Requests: 7, Hits: 1, DelayedHits: 1,
		HitRatio: 1.0 / 7, ByteHitRatio: 40.0 / (60 + 60 + 50 + 40 + 60 + 60 + 40),
		TotalLoadDelay: 60 * ms, P99LoadDelay: 20 * ms, Loads: 5,
	}
	if got != want {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// TestRunInstantLoads replays TestRunHandComputed's trace with the classic
// accounting: every load completes at once.
func TestRunInstantLoads(t *testing.T) {
	const a, b, c = 0, 1, 2
	w := &Workload{
		Models: []profile.Model{model("A", 60, 10*ms), model("B", 50, 20*ms), model("C", 40, 5*ms)},
		Requests: reqs(
			0, a, // miss: load A; wait 10
			5, a, // hit: the load is already done
			20, b, // miss: evict A; wait 20
			25, c, // miss: fits (50+40<=100); wait 5
			26, a, // miss: B and C are ready, evict B (older); wait 10
			50, a, // hit
			50, c, // hit
		),
	}
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	got := Run(w, newTestLRU(3), 100, Options{InstantLoads: true})
	want := Result{
		Policy: "test-lru", CapacityBytes: 100, Requests: 7, Hits: 3,
		HitRatio: 3.0 / 7, ByteHitRatio: (60 + 60 + 40.0) / (60 + 60 + 50 + 40 + 60 + 60 + 40),
		TotalLoadDelay: 45 * ms, P99LoadDelay: 20 * ms, Loads: 4,
	}
	if got != want {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// fixedPreloader wraps an LRU and asks, after every request, for the
// models in want.
type fixedPreloader struct {
	*testLRU
	want  []policy.Key
	calls int
	free  []int64
}

func (f *fixedPreloader) Preload(_ time.Duration, free int64, resident func(policy.Key) bool) []policy.Key {
	f.calls++
	f.free = append(f.free, free)
	return f.want
}

func TestRunPreload(t *testing.T) {
	tests := []struct {
		name        string
		models      []profile.Model
		want        []policy.Key
		requests    []trace.Request
		wantResult  Result
		wantCalls   int
		wantFreeLog []int64
	}{
		{
			// t=0 A misses (wait 10), then B (30 bytes) is preloaded and
			// ready at 40; t=10 B waits 30; t=50 B hits. After t=0 and t=10
			// the cache has 10 bytes free: not full, so Preload is called,
			// but B is resident. After t=50 likewise.
			name:       "waits remaining load time",
			models:     []profile.Model{model("A", 60, 10*ms), model("B", 30, 40*ms)},
			want:       []policy.Key{1},
			requests:   reqs(0, 0, 10, 1, 50, 1),
			wantResult: Result{Requests: 3, Hits: 1, DelayedHits: 1, TotalLoadDelay: 40 * ms, P99LoadDelay: 30 * ms, Loads: 1, Preloads: 1},
			wantCalls:  3, wantFreeLog: []int64{40, 10, 10},
		},
		{
			// B does not fit beside A, so it is never preloaded; C (40)
			// fills memory after the first request, so Preload is not
			// called again.
			name:       "skips what does not fit and stops when full",
			models:     []profile.Model{model("A", 60, 10*ms), model("B", 50, 40*ms), model("C", 40, 1*ms)},
			want:       []policy.Key{1, 2, 0},
			requests:   reqs(0, 0, 10, 2, 20, 0),
			wantResult: Result{Requests: 3, Hits: 2, TotalLoadDelay: 10 * ms, P99LoadDelay: 10 * ms, Loads: 1, Preloads: 1},
			wantCalls:  1, wantFreeLog: []int64{40},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &Workload{Models: tt.models, Requests: tt.requests}
			p := &fixedPreloader{testLRU: newTestLRU(len(tt.models)), want: tt.want}
			got := Run(w, p, 100, Options{})
			if got.Requests != tt.wantResult.Requests || got.Hits != tt.wantResult.Hits ||
				got.DelayedHits != tt.wantResult.DelayedHits || got.TotalLoadDelay != tt.wantResult.TotalLoadDelay ||
				got.P99LoadDelay != tt.wantResult.P99LoadDelay || got.Loads != tt.wantResult.Loads ||
				got.Preloads != tt.wantResult.Preloads {
				t.Errorf("got %+v, want %+v", got, tt.wantResult)
			}
			if p.calls != tt.wantCalls || !equalInts(p.free, tt.wantFreeLog) {
				t.Errorf("Preload called %d times with free %v, want %d with %v", p.calls, p.free, tt.wantCalls, tt.wantFreeLog)
			}
		})
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRunOversizeModelIsNeverCached(t *testing.T) {
	w := &Workload{
		Models:   []profile.Model{model("big", 200, 7*ms), model("small", 10, 1*ms)},
		Requests: reqs(0, 0, 10, 1, 20, 0, 30, 1),
	}
	got := Run(w, newTestLRU(2), 100, Options{})
	if got.Loads != 3 || got.Hits != 1 || got.TotalLoadDelay != 15*ms {
		t.Fatalf("got %+v, want 3 loads (big twice, small once), 1 hit, 15ms", got)
	}
}

type badPolicy struct{ *testLRU }

func (badPolicy) Victims(int64, time.Duration, func(policy.Key) bool) []policy.Key {
	return []policy.Key{1}
}

func TestRunPanicsOnInvalidVictim(t *testing.T) {
	w := &Workload{
		Models:   []profile.Model{model("A", 60, 0), model("B", 60, 0)},
		Requests: reqs(0, 0, 1, 1),
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Run accepted a victim that is not resident")
		}
	}()
	Run(w, badPolicy{newTestLRU(2)}, 100, Options{})
}

func TestRunReportsProgress(t *testing.T) {
	w := &Workload{Models: []profile.Model{model("A", 1, 0)}, Requests: reqs(0, 0, 1, 0, 2, 0, 3, 0, 4, 0)}
	var seen []int
	Run(w, newTestLRU(1), 10, Options{ProgressEvery: 2, Progress: func(done int) { seen = append(seen, done) }})
	if want := []int{2, 4, 5}; len(seen) != 3 || seen[0] != want[0] || seen[1] != want[1] || seen[2] != want[2] {
		t.Fatalf("progress %v, want %v", seen, want)
	}
}

// naiveLRUHits replays reqs with instantaneous loads in the most direct
// way: a list of resident models with their last-use times, evicting the
// oldest until the new model fits.
func naiveLRUHits(sizes []int64, requests []trace.Request, capacity int64) int {
	type slot struct {
		model int32
		last  int
	}
	var cache []slot
	var used int64
	hits := 0
	for i, r := range requests {
		found := false
		for j := range cache {
			if cache[j].model == r.Model {
				cache[j].last, found = i, true
			}
		}
		if found {
			hits++
			continue
		}
		if sizes[r.Model] > capacity {
			continue
		}
		for used+sizes[r.Model] > capacity {
			oldest := 0
			for j := range cache {
				if cache[j].last < cache[oldest].last {
					oldest = j
				}
			}
			used -= sizes[cache[oldest].model]
			cache = append(cache[:oldest], cache[oldest+1:]...)
		}
		cache = append(cache, slot{r.Model, i})
		used += sizes[r.Model]
	}
	return hits
}

func TestRunMatchesNaiveLRU(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	const n = 40
	sizes := make([]int64, n)
	models := make([]profile.Model, n)
	for i := range models {
		sizes[i] = 1 + rng.Int64N(100)
		models[i] = model("m", sizes[i], 0)
	}
	requests := make([]trace.Request, 5000)
	for i := range requests {
		// Skewed popularity so that hit ratios are neither 0 nor 1.
		m := int32(rng.IntN(n) * rng.IntN(n) / n)
		requests[i] = trace.Request{Time: time.Duration(i) * ms, Model: m}
	}
	w := &Workload{Models: models, Requests: requests}
	for _, capacity := range []int64{50, 150, 400, 1000, 3000} {
		got := Run(w, newTestLRU(n), capacity, Options{})
		if want := naiveLRUHits(sizes, requests, capacity); got.Hits != want {
			t.Errorf("capacity %d: %d hits, naive LRU %d", capacity, got.Hits, want)
		}
	}
}

// loadTimed records what Run says about the accounting.
type loadTimed struct {
	*testLRU
	told    int
	instant bool
}

func (l *loadTimed) SetInstantLoads(instant bool) { l.told, l.instant = l.told+1, instant }

// TestRunTellsAccounting: a policy that weighs load times learns, once
// and before the replay, which accounting Run charges.
func TestRunTellsAccounting(t *testing.T) {
	w := &Workload{Models: []profile.Model{model("A", 10, ms)}, Requests: reqs(0, 0)}
	for _, instant := range []bool{true, false} {
		p := &loadTimed{testLRU: newTestLRU(1), instant: !instant}
		Run(w, p, 10, Options{InstantLoads: instant})
		if p.told != 1 || p.instant != instant {
			t.Fatalf("InstantLoads %v: told %d times, instant %v", instant, p.told, p.instant)
		}
	}
}

var _ policy.LoadTimed = (*loadTimed)(nil)
