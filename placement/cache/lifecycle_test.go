package cache

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testutil"
)

func TestPinUnpinUnload(t *testing.T) {
	l := newFakeLoader(nil, 100)
	c := newTestCache(t, testConfig(200), l, nil)
	if err := c.Pin(context.Background(), "p", AcquireOptions{SizeHintBytes: 100}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b", "c"} {
		use(t, c, name, 100) // each evicts the previous one, never p
		assertResidents(t, c, name, "p")
	}
	if !c.Unpin("p") || c.Unpin("absent") {
		t.Fatal("Unpin reports residency wrongly")
	}
	use(t, c, "p", 100) // p is now the most recent; c is the LRU
	use(t, c, "d", 100)
	assertResidents(t, c, "d", "p")

	if !c.Unload("d") || c.Resident("d") {
		t.Fatal("idle model not unloaded at once")
	}
	h := acquire(t, c, "p", 100)
	model := h.Model()
	if !c.Unload("p") || c.Resident("p") {
		t.Fatal("an unloaded model still serves new requests")
	}
	if model.closed.Load() || c.Status().UsedBytes != 100 {
		t.Fatalf("in-use model closed under its user (closed %v, charged %d)", model.closed.Load(), c.Status().UsedBytes)
	}
	// A request after the unload loads the model afresh beside the old
	// copy, which its user still holds.
	again := acquire(t, c, "p", 100)
	if again.Model() == model || l.count("p") != 2 {
		t.Fatalf("request after Unload served by the unloaded copy (loads %d)", l.count("p"))
	}
	again.Release()
	c.Unload("p")
	h.Release()
	if c.Resident("p") || !model.closed.Load() {
		t.Fatal("model not unloaded when its last user released it")
	}
	if l.liveBytes() != 0 || c.Status().UsedBytes != 0 {
		t.Fatalf("live %d, charged %d after unloading all", l.liveBytes(), c.Status().UsedBytes)
	}
	if c.Unload("p") {
		t.Fatal("Unload of an absent model reports true")
	}
}

func TestPinnedModelsCanFillTheCache(t *testing.T) {
	l := newFakeLoader(nil, 100)
	c := newTestCache(t, testConfig(200), l, nil)
	for _, name := range []string{"a", "b"} {
		if err := c.Pin(context.Background(), name, AcquireOptions{SizeHintBytes: 100}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Acquire(context.Background(), "c", AcquireOptions{SizeHintBytes: 100}); !errors.Is(err, ErrNoCapacity) {
		t.Fatalf("err = %v, want ErrNoCapacity", err)
	}
	assertResidents(t, c, "a", "b")
}

func TestCloseWaitsForHandles(t *testing.T) {
	l := newFakeLoader(nil, 100)
	c, err := New(testConfig(1000), Deps[*fakeModel]{Loader: l, Policy: newPolicy(t, "lru")})
	if err != nil {
		t.Fatal(err)
	}
	use(t, c, "idle", 100)
	h := acquire(t, c, "busy", 100)
	closed := make(chan error, 1)
	go func() { closed <- c.Close(context.Background()) }()
	testutil.Eventually(t, "idle model closed", func() bool { return !c.Resident("idle") && l.liveBytes() == 100 })
	if _, err := c.Acquire(context.Background(), "busy", AcquireOptions{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Acquire after Close: %v", err)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v with a handle out", err)
	default:
	}
	h.Release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if l.liveBytes() != 0 {
		t.Fatalf("%d bytes still live after Close", l.liveBytes())
	}
}

func TestCloseDeadlineAndCancelledLoads(t *testing.T) {
	l := newFakeLoader(nil, 100)
	l.gate, l.gateOnly = make(chan struct{}), "slow"
	c, err := New(testConfig(1000), Deps[*fakeModel]{Loader: l, Policy: newPolicy(t, "lru")})
	if err != nil {
		t.Fatal(err)
	}
	loading := make(chan error, 1)
	go func() { _, err := c.Acquire(context.Background(), "slow", AcquireOptions{}); loading <- err }()
	testutil.Eventually(t, "load started", func() bool { return l.count("slow") == 1 })
	h := acquire(t, c, "busy", 100)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a handle out = %v, want deadline", err)
	}
	if err := <-loading; !errors.Is(err, ErrClosed) {
		t.Fatalf("load in flight during Close: %v, want ErrClosed", err)
	}
	h.Release()
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l.liveBytes() != 0 {
		t.Fatalf("%d bytes live after Close", l.liveBytes())
	}
}

func TestWarmUp(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr bool
	}{{"runs before serving", nil, false}, {"failure fails the load", errors.New("nan output"), true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newFakeLoader(nil, 100)
			var warmed []string
			warm := func(_ context.Context, name string, m *fakeModel) error {
				if m.closed.Load() {
					t.Error("warm-up on a closed model")
				}
				warmed = append(warmed, name)
				return tt.err
			}
			c, err := New(testConfig(1000), Deps[*fakeModel]{Loader: l, Policy: newPolicy(t, "lru"), WarmUp: warm})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())
			h, err := c.Acquire(context.Background(), "m", AcquireOptions{})
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, tt.err)) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil {
				h.Release()
				use(t, c, "m", 0)
			}
			if len(warmed) != 1 || (tt.wantErr && l.liveBytes() != 0) {
				t.Fatalf("warmed %v, live %d", warmed, l.liveBytes())
			}
		})
	}
}

func TestHistoryKeepsTheLastRequests(t *testing.T) {
	l := newFakeLoader(nil, 10)
	clock := newFakeClock()
	cfg := testConfig(1000)
	cfg.HistorySize = 4
	c := newTestCache(t, cfg, l, clock)
	names := []string{"a", "b", "a", "c", "a", "b"}
	for _, n := range names {
		clock.Advance(time.Second)
		use(t, c, n, 10)
	}
	got := c.History()
	want := []struct {
		model string
		hit   bool
	}{{"a", true}, {"c", false}, {"a", true}, {"b", true}}
	if len(got) != len(want) {
		t.Fatalf("history has %d records, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Model != w.model || got[i].Hit != w.hit || got[i].Failed {
			t.Errorf("record %d = %+v, want %s hit=%v", i, got[i], w.model, w.hit)
		}
		if i > 0 && got[i].Time.Sub(got[i-1].Time) != time.Second {
			t.Errorf("record %d at %v, previous at %v", i, got[i].Time, got[i-1].Time)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"default is valid", func(*Config) {}, ""},
		{"no capacity", func(c *Config) { c.CapacityBytes = 0 }, "CapacityBytes"},
		{"no load slots", func(c *Config) { c.MaxConcurrentLoads = 0 }, "MaxConcurrentLoads"},
		{"negative wait", func(c *Config) { c.RoomWait = -1 }, "RoomWait"},
		{"cap below base", func(c *Config) { c.BackoffMax = c.BackoffBase / 2 }, "BackoffMax"},
		{"no history", func(c *Config) { c.HistorySize = 0 }, "HistorySize"},
		{"no models", func(c *Config) { c.MaxModels = 0 }, "MaxModels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(1000)
			tt.mutate(&cfg)
			_, err := New(cfg, Deps[*fakeModel]{Loader: newFakeLoader(nil, 1), Policy: newPolicy(t, "lru")})
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want mention of %q", err, tt.want)
			}
		})
	}
	if _, err := New(DefaultConfig(), Deps[*fakeModel]{Policy: newPolicy(t, "lru")}); err == nil {
		t.Fatal("New without a Loader succeeded")
	}
}
