package cache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestRandomOperationsKeepInvariants runs requests, cancellations, pins,
// unpins, unloads and failing loads at random from several goroutines, and
// checks that a handed-out model is never closed under its user, that the
// budget holds, that every error is one the API documents, and that Close
// leaves nothing loaded.
func TestRandomOperationsKeepInvariants(t *testing.T) {
	const capacity = 1000
	rng := rand.New(rand.NewPCG(3, 4))
	sizes := map[string]int64{}
	var names []string
	for i := range 12 {
		name := fmt.Sprintf("m%02d", i)
		names = append(names, name)
		sizes[name] = 100 + rng.Int64N(300)
	}
	l := newFakeLoader(sizes, 0)
	l.capacityBytes = capacity
	boom := errors.New("flaky load")
	l.fail = func(name string, attempt int) error {
		if (len(name)+attempt)%5 == 0 {
			return boom
		}
		return nil
	}
	cfg := testConfig(capacity)
	cfg.RoomWait = 20 * time.Millisecond
	cfg.BackoffBase, cfg.BackoffMax = time.Millisecond, 4*time.Millisecond
	c, err := New(cfg, Deps[*fakeModel]{Loader: l, Policy: newPolicy(t, "lru")})
	if err != nil {
		t.Fatal(err)
	}
	l.onChange = func() { withinBudget(t, c) }
	stop := make(chan struct{})
	var checker sync.WaitGroup
	checker.Go(func() { watchBudget(t, c, stop) })
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() { randomOps(t, c, names, sizes, boom, uint64(w)) })
	}
	wg.Wait()
	close(stop)
	checker.Wait()
	hits, misses := testutil.ToFloat64(c.metrics.hits), testutil.ToFloat64(c.metrics.misses)
	evicted := testutil.ToFloat64(c.metrics.evictions.WithLabelValues("evict"))
	failed := testutil.ToFloat64(c.metrics.loadFailures)
	t.Logf("hits %v, misses %v, evictions %v, failed loads %v", hits, misses, evicted, failed)
	if hits == 0 || misses == 0 || evicted == 0 || failed == 0 {
		t.Fatal("the run did not exercise hits, misses, evictions and failures")
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l.liveBytes() != 0 || len(l.violations) > 0 || c.Status().UsedBytes != 0 {
		t.Fatalf("after Close: live %d bytes, charged %d, over budget at %v", l.liveBytes(), c.Status().UsedBytes, l.violations)
	}
}

func randomOps(t *testing.T, c *Cache[*fakeModel], names []string, sizes map[string]int64, boom error, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	for range 150 {
		name := names[rng.IntN(len(names))]
		switch op := rng.IntN(10); {
		case op < 6:
			randomAcquire(t, c, name, sizes[name], rng, boom)
		case op == 6:
			if err := c.Pin(context.Background(), name, AcquireOptions{SizeHintBytes: sizes[name]}); err != nil && !documented(err, boom) {
				t.Errorf("Pin(%s): %v", name, err)
			}
		case op == 7:
			c.Unpin(name)
		default:
			c.Unload(name)
		}
	}
}

// randomAcquire acquires with a random deadline and holds the model a
// little, checking it stays open.
func randomAcquire(t *testing.T, c *Cache[*fakeModel], name string, size int64, rng *rand.Rand, boom error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(3000))*time.Microsecond)
	defer cancel()
	h, err := c.Acquire(ctx, name, AcquireOptions{SizeHintBytes: size})
	if err != nil {
		if !documented(err, boom) {
			t.Errorf("Acquire(%s): %v", name, err)
		}
		return
	}
	for range rng.IntN(3) {
		if h.Model().closed.Load() {
			t.Errorf("model %s closed under its user", name)
		}
		time.Sleep(time.Duration(rng.IntN(200)) * time.Microsecond) // simulated inference
	}
	h.Release()
}

// documented says whether err is one Acquire may return here.
func documented(err, boom error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrNoCapacity) ||
		errors.Is(err, ErrBackoff) || errors.Is(err, boom)
}
