package cache

import (
	"context"
	"testing"
	"time"

	edgetest "github.com/edgeserve/edgeserve/internal/testutil"
)

// A load that measures more than it reserved while a busy model holds the
// room waits, within the request's deadline, for that model's release
// instead of failing the request for room.
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
	if got := l.count("big"); got != 1 {
		t.Errorf("big loaded %d times, want 1", got)
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

// state is name's phase, or "" when it has no entry.
func state(c *Cache[*fakeModel], name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[name]; e != nil {
		return e.phase.String()
	}
	return ""
}
