package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// fakeModel holds real host memory of its measured size, and says it
// holds gpu bytes of GPU memory (there is no GPU here).
type fakeModel struct {
	name   string
	data   []byte
	gpu    int64
	mapped int64
	loader *fakeLoader
	closed atomic.Bool
}

func (m *fakeModel) MemoryBytes() int64 { return int64(len(m.data)) }

func (m *fakeModel) GPUMemoryBytes() int64 { return m.gpu }

func (m *fakeModel) MappedBytes() int64 { return m.mapped }

func (m *fakeModel) Close() error {
	if m.closed.Swap(true) {
		m.loader.mu.Lock()
		m.loader.violations = append(m.loader.violations, m.name+" closed twice")
		m.loader.mu.Unlock()
		return errors.New("fake: closed twice")
	}
	m.loader.closed(m)
	if m.loader.onChange != nil {
		m.loader.onChange()
	}
	return nil
}

// fakeLoader allocates models of known sizes and records what it was asked.
// Tests stand in for the runtime with it; the cache's contract is with any
// Loader.
type fakeLoader struct {
	sizes       map[string]int64 // measured size by name; defaultSize else
	defaultSize int64
	gpuSizes    map[string]int64 // measured GPU size by name; 0 else
	mapped      map[string]int64 // mapped (file-backed) size by name; 0 else
	// gate, when set, holds each load until a value is received from it or
	// it is closed (or the load's context ends).
	gate chan struct{}
	// gateOnly, when set, restricts the gate to that model.
	gateOnly string
	// lingerC, when set, holds a load whose context ended until it is
	// closed, as a loader slow to notice cancellation does.
	lingerC chan struct{}
	// fail, when set, may fail attempt n (1-based) of name.
	fail func(name string, attempt int) error
	// onChange, when set, runs after every allocation and close, outside
	// the loader's lock.
	onChange func()
	// capacityBytes and gpuCapacityBytes, when set, are checked against
	// live bytes on each load.
	capacityBytes, gpuCapacityBytes int64

	mu          sync.Mutex // guards the fields below
	loads       map[string]int
	cur, maxCur int      // loads running now / at most
	live        int64    // bytes of models loaded and not closed
	liveGPU     int64    // GPU bytes likewise
	ctxErrs     int      // loads that ended by their context
	violations  []string // live bytes over capacityBytes
}

func newFakeLoader(sizes map[string]int64, defaultSize int64) *fakeLoader {
	return &fakeLoader{sizes: sizes, defaultSize: defaultSize, loads: make(map[string]int)}
}

func (l *fakeLoader) Load(ctx context.Context, name string) (*fakeModel, error) {
	l.mu.Lock()
	l.loads[name]++
	attempt := l.loads[name]
	l.cur++
	l.maxCur = max(l.maxCur, l.cur)
	l.mu.Unlock()
	defer func() { l.mu.Lock(); l.cur--; l.mu.Unlock() }()
	if err := l.waitGate(ctx, name); err != nil {
		return nil, err
	}
	if l.fail != nil {
		if err := l.fail(name, attempt); err != nil {
			return nil, err
		}
	}
	m := l.allocate(name)
	if l.onChange != nil {
		l.onChange()
	}
	return m, nil
}

func (l *fakeLoader) waitGate(ctx context.Context, name string) error {
	if l.gate == nil || l.gateOnly != "" && l.gateOnly != name {
		return nil
	}
	select {
	case <-l.gate:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		l.ctxErrs++
		l.mu.Unlock()
		if l.lingerC != nil {
			<-l.lingerC
		}
		return ctx.Err()
	}
}

func (l *fakeLoader) allocate(name string) *fakeModel {
	size, ok := l.sizes[name]
	if !ok {
		size = l.defaultSize
	}
	gpu := l.gpuSizes[name]
	l.mu.Lock()
	defer l.mu.Unlock()
	l.live += size
	l.liveGPU += gpu
	if l.capacityBytes > 0 && l.live > l.capacityBytes || l.gpuCapacityBytes > 0 && l.liveGPU > l.gpuCapacityBytes {
		l.violations = append(l.violations, name)
	}
	return &fakeModel{name: name, data: make([]byte, size), gpu: gpu, mapped: l.mapped[name], loader: l}
}

func (l *fakeLoader) closed(m *fakeModel) {
	l.mu.Lock()
	l.live -= int64(len(m.data))
	l.liveGPU -= m.gpu
	l.mu.Unlock()
}

func (l *fakeLoader) count(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loads[name]
}

func (l *fakeLoader) liveBytes() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.live
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testConfig is a small cache that fails fast on a full cache.
func testConfig(capacityBytes int64) Config {
	cfg := DefaultConfig()
	cfg.CapacityBytes = capacityBytes
	cfg.RoomWait = 0
	cfg.LoadTimeout = 10 * time.Second
	cfg.BackoffBase = time.Second
	cfg.BackoffMax = 8 * time.Second
	cfg.HistorySize = 64
	cfg.MaxModels = testMaxModels
	return cfg
}

// newTestCache builds a cache over l with LRU and a fresh registry.
func newTestCache(t *testing.T, cfg Config, l *fakeLoader, clock Clock) *Cache[*fakeModel] {
	t.Helper()
	return newTestCacheWith(t, cfg, l, clock, newPolicy(t, "lru"))
}

// newTestCacheWith builds a cache over l with policy p, closed at cleanup.
func newTestCacheWith(t *testing.T, cfg Config, l *fakeLoader, clock Clock, p policy.Policy) *Cache[*fakeModel] {
	t.Helper()
	c, err := New(cfg, Deps[*fakeModel]{Loader: l, Policy: p, Clock: clock, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// acquire acquires name and fails the test on error.
func acquire(t *testing.T, c *Cache[*fakeModel], name string, hint int64) *Handle[*fakeModel] {
	t.Helper()
	h, err := c.Acquire(context.Background(), name, AcquireOptions{SizeHintBytes: hint})
	if err != nil {
		t.Fatalf("Acquire(%s): %v", name, err)
	}
	return h
}

// use acquires and releases name at once.
func use(t *testing.T, c *Cache[*fakeModel], name string, hint int64) {
	t.Helper()
	acquire(t, c, name, hint).Release()
}

// waiters is the number of Acquire calls waiting for name's load.
func waiters(c *Cache[*fakeModel], name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[name]; e != nil {
		return e.waiters
	}
	return 0
}

// residents lists the loaded models, sorted.
func residents(c *Cache[*fakeModel]) []string {
	var out []string
	for _, m := range c.Status().Models {
		if m.State == phaseLoaded.String() {
			out = append(out, m.Name)
		}
	}
	return out
}

// testMaxModels is the key space of the test caches and policies.
const testMaxModels = 32

// newPolicy returns the named policy of placement/policy over enough keys
// for these tests; sizes and costs are learnt as models load.
func newPolicy(tb testing.TB, name string) policy.Policy {
	tb.Helper()
	models := make([]policy.Entry, testMaxModels)
	for i := range models {
		models[i].Key = policy.Key(i)
	}
	p, err := policy.New(name, models)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}
