package cache

import (
	"context"
	"errors"
	"testing"
	"time"

	edgetest "github.com/edgeserve/edgeserve/internal/testutil"
)

// A load that measures more than it reserved while a busy model holds the
// room waits, within the request's deadline, for that model's release
// instead of failing the request for room. It waits holding no charge (so
// that two such loads cannot wait for each other), then loads again.
func TestOverflowAfterLoadWaitsForRoom(t *testing.T) {
	l := newFakeLoader(map[string]int64{"busy": 60, "big": 60}, 10)
	cfg := testConfig(100)
	cfg.RoomWait = 10 * time.Second
	c := newTestCache(t, cfg, l, nil)
	busy := acquire(t, c, "busy", 60)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h, err := c.Acquire(ctx, "big", AcquireOptions{SizeHintBytes: 30}) // measures 60
		if err == nil {
			h.Release()
		}
		done <- err
	}()
	edgetest.Eventually(t, "big loaded and waiting for room", func() bool {
		return l.count("big") == 1 && state(c, "big") == phaseWaitRoom.String()
	})
	select {
	case err := <-done:
		t.Fatalf("big ended before busy was released: %v", err)
	default:
	}
	busy.Release()
	if err := <-done; err != nil {
		t.Fatalf("Acquire(big) after busy's release: %v", err)
	}
	if got := l.count("big"); got != 2 {
		t.Errorf("big loaded %d times, want 2 (the measured load, and once room was made)", got)
	}
	if live := l.liveBytes(); live != 60 {
		t.Errorf("%d bytes live, want big's 60 only", live)
	}
	if used := c.Status().UsedBytes; used > 100 {
		t.Errorf("used %d bytes, over the 100-byte budget", used)
	}
}

// A load that overflows and whose request's deadline ends first fails
// with the deadline, closing the model it loaded.
func TestOverflowAfterLoadHonoursDeadline(t *testing.T) {
	l := newFakeLoader(map[string]int64{"busy": 60, "big": 60}, 10)
	cfg := testConfig(100)
	cfg.RoomWait = 10 * time.Second
	c := newTestCache(t, cfg, l, nil)
	busy := acquire(t, c, "busy", 60)
	defer busy.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := c.Acquire(ctx, "big", AcquireOptions{SizeHintBytes: 30}); err == nil {
		t.Fatal("Acquire(big) succeeded with no room")
	}
	edgetest.Eventually(t, "big closed", func() bool { return l.liveBytes() == 60 })
}

// Two loads that each measure more than they reserved, with no idle model
// to evict, do not wait for each other's reservation: both requests are
// served, one after the other.
func TestTwoOverflowingLoadsDoNotWaitForEachOther(t *testing.T) {
	l := newFakeLoader(map[string]int64{"a": 60, "b": 60}, 10)
	cfg := testConfig(100)
	cfg.RoomWait = 10 * time.Second
	cfg.MaxConcurrentLoads = 2
	l.gate = make(chan struct{})
	c := newTestCache(t, cfg, l, nil)
	errs := make(chan error, 2)
	for _, name := range []string{"a", "b"} {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h, err := c.Acquire(ctx, name, AcquireOptions{SizeHintBytes: 45}) // measures 60: neither fits beside the other
			if err == nil {
				h.Release()
			}
			errs <- err
		}()
	}
	edgetest.Eventually(t, "both loads reserved", func() bool { return c.Status().UsedBytes == 90 })
	close(l.gate)
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("Acquire: %v", err)
		}
	}
}

// state is name's phase, or "" when it has no entry.
func state(c *Cache[*fakeModel], name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[name]; e != nil {
		return e.phase.String()
	}
	return ""
}

// One reading above the whole budget fails its load and backs the model
// off, but does not refuse the model for good: after the back-off the
// model is loaded again and, measuring within budget, serves.
func TestOutlierReadingDoesNotLockModelOut(t *testing.T) {
	l := newFakeLoader(nil, 0)
	l.sizes = map[string]int64{"m": 5000} // the first load's reading: an outlier
	clock := newFakeClock()
	c := newTestCache(t, testConfig(1000), l, clock)
	if _, err := c.Acquire(context.Background(), "m", AcquireOptions{SizeHintBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("first Acquire = %v, want ErrTooLarge", err)
	}
	l.mu.Lock()
	l.sizes = map[string]int64{"m": 100}
	l.mu.Unlock()
	clock.Advance(testConfig(1000).BackoffMax)
	h, err := c.Acquire(context.Background(), "m", AcquireOptions{SizeHintBytes: 100})
	if err != nil {
		t.Fatalf("Acquire after the back-off = %v, want the model served", err)
	}
	h.Release()
	if got := c.Status().UsedBytes; got != 100 {
		t.Errorf("charged %d, want 100", got)
	}
}

// The charge is the median of the model's last readings: one outlier
// between ordinary readings does not move it.
func TestChargeIsMedianOfReadings(t *testing.T) {
	l := newFakeLoader(nil, 0)
	c := newTestCache(t, testConfig(1000), l, nil)
	for _, size := range []int64{100, 120, 110, 115} {
		l.mu.Lock()
		l.sizes = map[string]int64{"m": size}
		l.mu.Unlock()
		use(t, c, "m", 1)
		c.Unload("m")
	}
	l.mu.Lock()
	l.sizes = map[string]int64{"m": 900}
	l.mu.Unlock()
	use(t, c, "m", 1) // readings 100 120 110 115 900: median 115
	if got := c.Status().UsedBytes; got != 115 {
		t.Errorf("charged %d, want the median 115", got)
	}
	if f, _ := c.Facts("m"); f.MeasuredBytes != 115 {
		t.Errorf("facts measured %d, want 115", f.MeasuredBytes)
	}
}
