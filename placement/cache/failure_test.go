package cache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	edgetest "github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/placement/policy"
)

func isNoCapacity(err error) bool { return errors.Is(err, ErrNoCapacity) }

func TestTooLarge(t *testing.T) {
	tests := []struct {
		name         string
		measured     int64
		hint         int64
		wantMeasured bool
		wantLoads    int
	}{
		{"measured over budget refused after loading", 2000, 50, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newFakeLoader(map[string]int64{"big": tt.measured}, 0)
			c := newTestCache(t, testConfig(1000), l, nil)
			for range 2 { // the second try fails fast on what the first learnt
				_, err := c.Acquire(context.Background(), "big", AcquireOptions{SizeHintBytes: tt.hint})
				var tl *TooLargeError
				if !errors.As(err, &tl) || !errors.Is(err, ErrTooLarge) {
					t.Fatalf("err = %v, want TooLargeError", err)
				}
				if tl.Measured != tt.wantMeasured || tl.CapacityBytes != 1000 {
					t.Fatalf("err = %+v, want measured=%v", tl, tt.wantMeasured)
				}
			}
			if got := l.count("big"); got != tt.wantLoads {
				t.Fatalf("loads = %d, want %d", got, tt.wantLoads)
			}
			if l.liveBytes() != 0 || c.Status().UsedBytes != 0 {
				t.Fatalf("live %d, charged %d, want nothing held", l.liveBytes(), c.Status().UsedBytes)
			}
		})
	}
}

// A hint is a guess: one above the whole budget is cut to the budget, and
// the model, measured within it, is served.
func TestHintOverBudgetIsCutToTheBudget(t *testing.T) {
	l := newFakeLoader(map[string]int64{"m": 50}, 0)
	c := newTestCache(t, testConfig(1000), l, nil)
	h, err := c.Acquire(context.Background(), "m", AcquireOptions{SizeHintBytes: 2000})
	if err != nil {
		t.Fatalf("Acquire with a hint over the budget: %v", err)
	}
	h.Release()
	if got := c.Status().UsedBytes; got != 50 {
		t.Errorf("charged %d, want the measured 50", got)
	}
}

func TestFailedLoadReachesEveryWaiterThenBacksOff(t *testing.T) {
	boom := errors.New("corrupt model")
	l := newFakeLoader(nil, 100)
	l.gate = make(chan struct{})
	l.fail = func(_ string, attempt int) error {
		if attempt <= 2 {
			return boom
		}
		return nil
	}
	clock := newFakeClock()
	cfg := testConfig(1000)
	c := newTestCache(t, cfg, l, clock)
	const n = 5
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := c.Acquire(context.Background(), "m", AcquireOptions{SizeHintBytes: 100})
			errs <- err
		}()
	}
	edgetest.Eventually(t, "all requests waiting", func() bool { return waiters(c, "m") == n })
	close(l.gate)
	for range n {
		if err := <-errs; !errors.Is(err, boom) {
			t.Fatalf("waiter got %v, want the load error", err)
		}
	}
	assertBackoff(t, c, clock, boom, 1, cfg.BackoffBase)
	clock.Advance(cfg.BackoffBase)
	if _, err := c.Acquire(context.Background(), "m", AcquireOptions{}); !errors.Is(err, boom) {
		t.Fatalf("retry: %v, want the load error", err)
	}
	assertBackoff(t, c, clock, boom, 2, 2*cfg.BackoffBase)
	clock.Advance(2*cfg.BackoffBase - time.Nanosecond)
	assertBackoff(t, c, clock, boom, 2, time.Nanosecond)
	clock.Advance(time.Nanosecond)
	use(t, c, "m", 100)
	if got := l.count("m"); got != 3 {
		t.Fatalf("loads = %d, want 3", got)
	}
	if got := testutil.ToFloat64(c.metrics.loadFailures); got != 2 {
		t.Fatalf("load failures = %v, want 2", got)
	}
	// 5 waiters and one retry got the load error; 3 fast checks backed off.
	for reason, want := range map[string]float64{"load_failed": 6, "backoff": 3} {
		if got := testutil.ToFloat64(c.metrics.acquireErrors.WithLabelValues(reason)); got != want {
			t.Errorf("acquire errors %s = %v, want %v", reason, got, want)
		}
	}
}

// assertBackoff checks that Acquire fails fast with a BackoffError ending
// left from now.
func assertBackoff(t *testing.T, c *Cache[*fakeModel], clock *fakeClock, cause error, failures int, left time.Duration) {
	t.Helper()
	_, err := c.Acquire(context.Background(), "m", AcquireOptions{})
	var be *BackoffError
	if !errors.As(err, &be) || !errors.Is(err, ErrBackoff) || !errors.Is(err, cause) {
		t.Fatalf("err = %v, want a BackoffError wrapping %v", err, cause)
	}
	if be.Failures != failures || be.Until.Sub(clock.Now()) != left {
		t.Fatalf("backoff %d failures, %v left; want %d, %v", be.Failures, be.Until.Sub(clock.Now()), failures, left)
	}
}

func TestBackoffDelayDoublesUpToCap(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 5 * time.Second}, {60, 5 * time.Second}}
	for _, tt := range tests {
		if got := backoffDelay(time.Second, 5*time.Second, tt.failures); got != tt.want {
			t.Errorf("backoffDelay(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestWaitingForCapacity(t *testing.T) {
	tests := []struct {
		name         string
		roomWait     time.Duration
		ctxTimeout   time.Duration
		wantDeadline bool
	}{
		{"no waiting", 0, time.Minute, false},
		{"client deadline ends the wait", time.Minute, 50 * time.Millisecond, true},
		{"RoomWait ends the wait", 50 * time.Millisecond, time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newFakeLoader(nil, 100)
			cfg := testConfig(100)
			cfg.RoomWait = tt.roomWait
			c := newTestCache(t, cfg, l, nil)
			held := acquire(t, c, "a", 100)
			ctx, cancel := context.WithTimeout(context.Background(), tt.ctxTimeout)
			defer cancel()
			_, err := c.Acquire(ctx, "b", AcquireOptions{SizeHintBytes: 100})
			if !errors.Is(err, ErrNoCapacity) || errors.Is(err, context.DeadlineExceeded) != tt.wantDeadline {
				t.Fatalf("err = %v, want ErrNoCapacity (deadline %v)", err, tt.wantDeadline)
			}
			edgetest.Eventually(t, "b's reservation dropped", func() bool { return len(c.Status().Models) == 1 })
			if l.count("b") != 0 || c.Status().UsedBytes != 100 {
				t.Fatalf("b loaded %d times, %d bytes charged", l.count("b"), c.Status().UsedBytes)
			}
			held.Release()
			use(t, c, "b", 100)
			assertResidents(t, c, "b")
		})
	}
}

func TestRoomFreedByReleaseWakesWaitingLoad(t *testing.T) {
	l := newFakeLoader(nil, 100)
	cfg := testConfig(100)
	cfg.RoomWait = time.Minute
	c := newTestCache(t, cfg, l, nil)
	held := acquire(t, c, "a", 100)
	got := make(chan error, 1)
	go func() {
		h, err := c.Acquire(context.Background(), "b", AcquireOptions{SizeHintBytes: 100})
		if err == nil {
			h.Release()
		}
		got <- err
	}()
	edgetest.Eventually(t, "b waiting for room", func() bool {
		st := c.Status()
		return len(st.Models) == 2 && st.Models[1].State == phaseWaitRoom.String()
	})
	held.Release()
	if err := <-got; err != nil {
		t.Fatalf("Acquire(b): %v", err)
	}
	assertResidents(t, c, "b")
}

func TestCancelledWaiterLeavesOthersServed(t *testing.T) {
	l := newFakeLoader(nil, 100)
	l.gate = make(chan struct{})
	c := newTestCache(t, testConfig(1000), l, nil)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := c.Acquire(ctx, "m", AcquireOptions{}); first <- err }()
	second := make(chan *Handle[*fakeModel], 1)
	go func() { second <- acquire(t, c, "m", 0) }()
	edgetest.Eventually(t, "two waiters", func() bool { return waiters(c, "m") == 2 })
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter got %v", err)
	}
	if waiters(c, "m") != 1 {
		t.Fatalf("waiters = %d after cancel, want 1", waiters(c, "m"))
	}
	close(l.gate)
	(<-second).Release()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loads["m"] != 1 || l.ctxErrs != 0 {
		t.Fatalf("loads %d, cancelled loads %d; want 1, 0", l.loads["m"], l.ctxErrs)
	}
}

func TestLastWaiterLeavingAbandonsLoad(t *testing.T) {
	l := newFakeLoader(nil, 100)
	l.gate, l.lingerC = make(chan struct{}), make(chan struct{})
	c := newTestCache(t, testConfig(1000), l, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.Acquire(ctx, "m", AcquireOptions{SizeHintBytes: 100}); done <- err }()
	edgetest.Eventually(t, "load started", func() bool { return l.count("m") == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	edgetest.Eventually(t, "loader saw the cancellation", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.ctxErrs == 1
	})
	// The abandoned load has not returned yet: a new request must start a
	// fresh load rather than join the cancelled one.
	next := make(chan error, 1)
	go func() {
		h, err := c.Acquire(context.Background(), "m", AcquireOptions{SizeHintBytes: 100})
		if err == nil {
			h.Release()
		}
		next <- err
	}()
	edgetest.Eventually(t, "second load started", func() bool { return l.count("m") == 2 })
	close(l.lingerC)
	close(l.gate)
	if err := <-next; err != nil {
		t.Fatalf("request after an abandoned load: %v", err)
	}
	if got := testutil.ToFloat64(c.metrics.loadFailures); got != 0 {
		t.Fatalf("load failures = %v, want 0 (abandoning is no failure)", got)
	}
	edgetest.Eventually(t, "abandoned reservation returned", func() bool { return c.Status().UsedBytes == 100 })
	assertResidents(t, c, "m")
}

func TestLoadConcurrencyLimit(t *testing.T) {
	l := newFakeLoader(nil, 10)
	l.gate = make(chan struct{})
	cfg := testConfig(1000)
	cfg.MaxConcurrentLoads = 2
	c := newTestCache(t, cfg, l, nil)
	const n = 8
	done := make(chan struct{}, n)
	for i := range n {
		go func() { use(t, c, string(rune('a'+i)), 10); done <- struct{}{} }()
	}
	for i := range n {
		edgetest.Eventually(t, "a load running", func() bool {
			l.mu.Lock()
			defer l.mu.Unlock()
			return l.cur == min(2, n-i)
		})
		l.gate <- struct{}{}
		<-done
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxCur != 2 {
		t.Fatalf("at most %d loads ran at once, want 2", l.maxCur)
	}
}

func TestTooManyModels(t *testing.T) {
	l := newFakeLoader(nil, 1)
	cfg := testConfig(1000)
	cfg.MaxModels = 2
	c := newTestCache(t, cfg, l, nil)
	use(t, c, "a", 1)
	use(t, c, "b", 1)
	if _, err := c.Acquire(context.Background(), "c", AcquireOptions{}); !errors.Is(err, ErrTooManyModels) {
		t.Fatalf("third model: %v, want ErrTooManyModels", err)
	}
	use(t, c, "a", 1) // known names still serve
	if l.count("c") != 0 {
		t.Fatal("the refused model was loaded")
	}
}

// decliningPolicy is LRU with an admission control that never admits a
// model needing an eviction.
type decliningPolicy struct{ policy.Policy }

func (decliningPolicy) Victims(int64, time.Duration, func(policy.Key) bool) []policy.Key { return nil }

func TestPolicyDeclineFailsFast(t *testing.T) {
	l := newFakeLoader(nil, 100)
	cfg := testConfig(100)
	cfg.RoomWait = time.Minute
	c := newTestCacheWith(t, cfg, l, nil, decliningPolicy{newPolicy(t, "lru")})
	use(t, c, "a", 100)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.Acquire(ctx, "b", AcquireOptions{SizeHintBytes: 100})
	if !errors.Is(err, ErrDeclined) || !errors.Is(err, ErrNoCapacity) || ctx.Err() != nil {
		t.Fatalf("err = %v (ctx %v), want ErrDeclined at once", err, ctx.Err())
	}
	if l.count("b") != 0 || testutil.ToFloat64(c.metrics.loadFailures) != 0 {
		t.Fatal("a declined model was loaded or started a back-off")
	}
	assertResidents(t, c, "a")
}
