package cache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	edgetest "github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/placement/policy"
)

func TestConcurrentMissesShareOneLoad(t *testing.T) {
	l := newFakeLoader(nil, 100)
	l.gate = make(chan struct{})
	c := newTestCache(t, testConfig(1000), l, nil)
	const n = 16
	handles := make(chan *Handle[*fakeModel], n)
	errs := make(chan error, n)
	for range n {
		go func() {
			h, err := c.Acquire(context.Background(), "m", AcquireOptions{SizeHintBytes: 100})
			if err != nil {
				errs <- err
				return
			}
			handles <- h
		}()
	}
	edgetest.Eventually(t, "all requests waiting", func() bool { return waiters(c, "m") == n })
	if f, _ := c.Facts("m"); !f.Loading || f.Resident {
		t.Fatalf("facts during the load = %+v, want loading, not resident", f)
	}
	close(l.gate)
	var first *fakeModel
	for range n {
		select {
		case err := <-errs:
			t.Fatalf("Acquire: %v", err)
		case h := <-handles:
			if first == nil {
				first = h.Model()
			}
			if h.Model() != first {
				t.Fatal("requests got different model instances")
			}
			h.Release()
		}
	}
	if got := l.count("m"); got != 1 {
		t.Fatalf("loads = %d, want 1", got)
	}
	if f, _ := c.Facts("m"); f.Loading || !f.Resident {
		t.Fatalf("facts after the load = %+v, want resident, not loading", f)
	}
	if got := testutil.ToFloat64(c.metrics.misses); got != n {
		t.Fatalf("misses metric = %v, want %d", got, n)
	}
}

func TestChargeIsTheMeasuredSize(t *testing.T) {
	tests := []struct {
		name     string
		measured int64
		hint     int64
		want     int64
		// wantReload is the charge after a reload hinted at 1 byte.
		wantReload int64
	}{
		{"measured above the hint", 300, 100, 300, 300},
		{"measured below the hint", 40, 100, 40, 40},
		{"no measurement keeps the reservation", 0, 100, 100, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newFakeLoader(map[string]int64{"m": tt.measured}, 0)
			c := newTestCache(t, testConfig(1000), l, nil)
			use(t, c, "m", tt.hint)
			if st := c.Status(); st.UsedBytes != tt.want || st.Models[0].Bytes != tt.want {
				t.Fatalf("charged %d (model %d), want %d", st.UsedBytes, st.Models[0].Bytes, tt.want)
			}
			c.Unload("m")
			use(t, c, "m", 1) // a reload reserves the measured size, not the hint
			if st := c.Status(); st.UsedBytes != tt.wantReload {
				t.Fatalf("after reload charged %d, want %d", st.UsedBytes, tt.wantReload)
			}
		})
	}
}

func TestHitsAndStatus(t *testing.T) {
	l := newFakeLoader(map[string]int64{"a": 120}, 0)
	reg := prometheus.NewRegistry()
	c, err := New(testConfig(1000), Deps[*fakeModel]{Loader: l, Policy: newPolicy(t, "lru"), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	l.mapped = map[string]int64{"a": 700}
	use(t, c, "a", 50) // miss: hint 50, measured 120, 700 mapped
	h := acquire(t, c, "a", 50)
	use(t, c, "a", 50)
	st := c.Status()
	if len(st.Models) != 1 {
		t.Fatalf("models = %+v", st.Models)
	}
	m := st.Models[0]
	if m.Name != "a" || m.Bytes != 120 || m.MappedBytes != 700 || m.Refs != 1 || m.Hits != 2 || m.Misses != 1 || m.State != "loaded" {
		t.Fatalf("status = %+v, want a, 120 bytes measured, 700 mapped, 1 ref, 2 hits, 1 miss", m)
	}
	if st.UsedBytes != 120 || st.CapacityBytes != 1000 || st.MappedBytes != 700 {
		t.Fatalf("used %d of %d, mapped %d, want 120 of 1000, 700 mapped", st.UsedBytes, st.CapacityBytes, st.MappedBytes)
	}
	h.Release()
	want := map[string]float64{
		"edgeserve_cache_hits_total": 2, "edgeserve_cache_misses_total": 1, "edgeserve_cache_loaded_models": 1,
		"edgeserve_cache_loaded_bytes": 120, "edgeserve_cache_capacity_bytes": 1000, "edgeserve_cache_loads_in_flight": 0,
		"edgeserve_cache_load_failures_total": 0, "edgeserve_cache_mapped_bytes": 700,
	}
	for name, v := range want {
		if got := gathered(t, reg, name); got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	c.Unload("a")
	f, ok := c.Facts("a")
	if !ok || f.MeasuredBytes != 120 || f.Hits != 2 || f.Misses != 1 || f.Resident || f.LoadTime <= 0 {
		t.Fatalf("facts after unload = %+v, want 120 bytes measured, 2 hits, 1 miss, not resident", f)
	}
	if _, ok := c.Facts("never"); ok {
		t.Fatal("facts about a model never requested")
	}
}

// gathered reads one unlabelled gauge or counter from reg.
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) > 0 && m.GetLabel()[0].GetValue() != "host" {
				continue // the host series of a per-pool gauge
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestEvictionFollowsPolicyAndSparesInUseAndPinned(t *testing.T) {
	l := newFakeLoader(nil, 100)
	c := newTestCache(t, testConfig(300), l, nil)
	use(t, c, "a", 100)
	use(t, c, "b", 100)
	use(t, c, "c", 100)
	use(t, c, "a", 100) // b is now least recently used
	use(t, c, "d", 100)
	assertResidents(t, c, "a", "c", "d")

	held := acquire(t, c, "c", 100) // c is the LRU but in use
	if err := c.Pin(context.Background(), "a", AcquireOptions{}); err != nil {
		t.Fatal(err)
	}
	use(t, c, "e", 100) // only d is evictable
	assertResidents(t, c, "a", "c", "e")
	use(t, c, "f", 100) // only e is evictable
	assertResidents(t, c, "a", "c", "f")
	c.Unpin("a")
	use(t, c, "g", 100) // c still held: a (older than f) goes
	assertResidents(t, c, "c", "f", "g")
	held.Release()
	if got := testutil.ToFloat64(c.metrics.evictions.WithLabelValues("evict")); got != 4 {
		t.Fatalf("evictions = %v, want 4", got)
	}
}

func assertResidents(t *testing.T, c *Cache[*fakeModel], want ...string) {
	t.Helper()
	if got := residents(c); !slices.Equal(got, want) {
		t.Fatalf("resident %v, want %v", got, want)
	}
}

func TestBudgetNeverExceeded(t *testing.T) {
	type churnCase struct {
		policy string
		// hintPercent scales the size hint relative to the measured size.
		hintPercent int64
		// gpu adds a GPU budget and GPU sizes.
		gpu bool
	}
	tests := []churnCase{
		{"lru", 100, false}, // exact hints
		{"lru", 150, false}, // generous hints
		{"lru", 40, false},  // hints too small: the charge is corrected after load
		{"lru", 100, true},
		{"lru", 40, true},
	}
	for _, name := range policy.Names() {
		if name != "lru" {
			tests = append(tests, churnCase{name, 100, false}, churnCase{name, 100, true})
		}
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/hint%d%%/gpu=%v", tt.policy, tt.hintPercent, tt.gpu), func(t *testing.T) {
			budgetChurn(t, newPolicy(t, tt.policy), tt.hintPercent, tt.gpu)
		})
	}
}

// budgetChurn runs 8 requesters over 20 models of random sizes against a
// 1000-byte budget and checks the budget all along.
func budgetChurn(t *testing.T, p policy.Policy, hintPercent int64, gpu bool) {
	const capacity, gpuCapacity = 1000, 600
	rng := rand.New(rand.NewPCG(1, 2))
	sizes, gpuSizes := map[string]int64{}, map[string]int64{}
	var names []string
	for i := range 20 {
		name := fmt.Sprintf("m%02d", i)
		names = append(names, name)
		sizes[name] = 50 + rng.Int64N(350)
		if gpu {
			gpuSizes[name] = rng.Int64N(300) // some models use no GPU
		}
	}
	l := newFakeLoader(sizes, 0)
	l.gpuSizes = gpuSizes
	cfg := testConfig(capacity)
	if gpu {
		cfg.GPUCapacityBytes = gpuCapacity
	}
	if hintPercent >= 100 {
		// With hints that cover the measurement, even the memory the
		// models really hold stays within the budget.
		l.capacityBytes, l.gpuCapacityBytes = cfg.CapacityBytes, cfg.GPUCapacityBytes
	}
	cfg.RoomWait = 10 * time.Second
	c := newTestCacheWith(t, cfg, l, nil, p)
	l.onChange = func() { withinBudget(t, c) }
	stop := make(chan struct{})
	var checker sync.WaitGroup
	checker.Go(func() { watchBudget(t, c, stop) })
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() { churn(t, c, names, sizes, gpuSizes, hintPercent, uint64(w)) })
	}
	wg.Wait()
	close(stop)
	checker.Wait()
	if len(l.violations) > 0 {
		t.Fatalf("live model bytes exceeded the budget when loading %v", l.violations)
	}
	l.mu.Lock()
	live, liveGPU := l.live, l.liveGPU
	l.mu.Unlock()
	if st := c.Status(); st.UsedBytes != live || st.UsedGPUBytes != liveGPU {
		t.Fatalf("charged %d bytes and %d GPU bytes, models hold %d and %d", st.UsedBytes, st.UsedGPUBytes, live, liveGPU)
	}
	evicted := testutil.ToFloat64(c.metrics.evictions.WithLabelValues("evict"))
	declined := testutil.ToFloat64(c.metrics.acquireErrors.WithLabelValues("declined"))
	if evicted == 0 && declined == 0 {
		t.Fatal("the churn never evicted nor was declined: the test did not exercise the budget")
	}
}

// churn acquires random models and releases them.
func churn(t *testing.T, c *Cache[*fakeModel], names []string, sizes, gpuSizes map[string]int64, hintPercent int64, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	for range 60 {
		name := names[rng.IntN(len(names))]
		h, err := c.Acquire(context.Background(), name, AcquireOptions{
			SizeHintBytes: sizes[name] * hintPercent / 100, GPUSizeHintBytes: gpuSizes[name] * hintPercent / 100})
		if err != nil {
			if hintPercent < 100 && isNoCapacity(err) || errors.Is(err, ErrDeclined) {
				continue // an underestimate may not fit beside models in use; admission control may decline
			}
			t.Errorf("Acquire(%s): %v", name, err)
			return
		}
		if got := h.Model().MemoryBytes(); got != sizes[name] {
			t.Errorf("model %s holds %d bytes, want %d", name, got, sizes[name])
		}
		h.Release()
	}
}

// watchBudget samples the charged bytes every 50µs until stop is closed
// (the loader's onChange hook checks at every load and close besides).
func watchBudget(t *testing.T, c *Cache[*fakeModel], stop <-chan struct{}) {
	tick := time.NewTicker(50 * time.Microsecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if !withinBudget(t, c) {
			return
		}
	}
}

// withinBudget checks the charged bytes once.
func withinBudget(t *testing.T, c *Cache[*fakeModel]) bool {
	st := c.Status()
	if st.UsedBytes > st.CapacityBytes || st.UsedBytes < 0 || st.UsedGPUBytes < 0 ||
		st.GPUCapacityBytes > 0 && st.UsedGPUBytes > st.GPUCapacityBytes {
		t.Errorf("charged %d bytes of %d, %d GPU bytes of %d", st.UsedBytes, st.CapacityBytes, st.UsedGPUBytes, st.GPUCapacityBytes)
		return false
	}
	return true
}

func TestMetricsFollowConventions(t *testing.T) {
	reg := prometheus.NewRegistry()
	c, err := New(testConfig(1000), Deps[*fakeModel]{Loader: newFakeLoader(nil, 10), Policy: newPolicy(t, "lru"), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	use(t, c, "a", 10)
	c.Unload("a")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil || len(problems) > 0 {
		t.Fatalf("promlint: %v %+v", err, problems)
	}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "edgeserve_cache_") {
			t.Errorf("metric %s lacks the edgeserve_cache_ prefix", mf.GetName())
		}
	}
	if len(mfs) != 11 { // acquire_errors_total has no series yet
		t.Errorf("%d metric families, want 11", len(mfs))
	}
	if _, err := New(testConfig(1000), Deps[*fakeModel]{Loader: newFakeLoader(nil, 10), Policy: newPolicy(t, "lru"), Registerer: reg}); err == nil {
		t.Fatal("a second cache registered the same metrics without error")
	}
}

func TestGPUBudget(t *testing.T) {
	tests := []struct {
		name          string
		host, gpu     int64 // each model's sizes
		capacity, gpc int64 // budgets
	}{
		{"GPU memory binds", 10, 100, 10_000, 300},
		{"host memory binds beside a GPU budget", 100, 10, 300, 10_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newFakeLoader(nil, tt.host)
			l.gpuSizes = map[string]int64{}
			for _, n := range []string{"a", "b", "c", "d"} {
				l.gpuSizes[n] = tt.gpu
			}
			cfg := testConfig(tt.capacity)
			cfg.GPUCapacityBytes = tt.gpc
			c := newTestCache(t, cfg, l, nil)
			for _, n := range []string{"a", "b", "c", "a", "d"} {
				use(t, c, n, tt.host)
			}
			assertResidents(t, c, "a", "c", "d") // b was the least recently used
			if st := c.Status(); st.UsedBytes != 3*tt.host || st.UsedGPUBytes != 3*tt.gpu {
				t.Fatalf("charged %d and %d GPU bytes, want %d and %d", st.UsedBytes, st.UsedGPUBytes, 3*tt.host, 3*tt.gpu)
			}
		})
	}
}

func TestTooLargeForGPU(t *testing.T) {
	l := newFakeLoader(nil, 10)
	l.gpuSizes = map[string]int64{"big": 101}
	cfg := testConfig(1000)
	cfg.GPUCapacityBytes = 100
	c := newTestCache(t, cfg, l, nil)
	_, err := c.Acquire(context.Background(), "big", AcquireOptions{SizeHintBytes: 10, GPUSizeHintBytes: 101})
	var tl *TooLargeError
	if !errors.As(err, &tl) || !tl.GPU || !tl.Measured || tl.CapacityBytes != 100 || tl.Bytes != 101 {
		t.Fatalf("err = %v, want TooLargeError for measured GPU memory", err)
	}
	if l.count("big") != 1 || l.liveBytes() != 0 {
		t.Fatalf("loaded %d times, %d bytes live; want one load, closed", l.count("big"), l.liveBytes())
	}
}

func TestHitsProceedWhileLoadsBlock(t *testing.T) {
	l := newFakeLoader(nil, 10)
	l.gate, l.gateOnly = make(chan struct{}), "slow"
	cfg := testConfig(1000)
	cfg.MaxConcurrentLoads = 1
	c := newTestCache(t, cfg, l, nil)
	use(t, c, "a", 10) // only "slow" waits at the gate
	go c.Acquire(context.Background(), "slow", AcquireOptions{})
	edgetest.Eventually(t, "slow load holding the only slot", func() bool { return l.count("slow") == 1 })
	for range 100 {
		use(t, c, "a", 10) // a hit needs neither the slot nor the loader
	}
	if st := c.Status(); st.Models[0].Hits != 100 {
		t.Fatalf("hits = %d, want 100", st.Models[0].Hits)
	}
}
