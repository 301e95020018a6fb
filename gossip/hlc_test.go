package gossip

import (
	"testing"
	"time"
)

// fakeClock is a settable wall clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestHLCIsMonotonicWhenTheWallClockStandsOrGoesBack(t *testing.T) {
	wall := &fakeClock{t: time.UnixMilli(1_700_000_000_000)}
	c := &hlc{now: wall.now, maxSkew: time.Minute}
	a := c.Now()
	if a != stampAt(wall.t) {
		t.Fatalf("first stamp %d: want the wall time's %d", a, stampAt(wall.t))
	}
	b := c.Now() // same millisecond: the counter moves
	wall.t = wall.t.Add(-time.Second)
	d := c.Now() // the wall clock went back: still above
	if !(a < b && b < d) {
		t.Fatalf("stamps %d, %d, %d: want strictly increasing", a, b, d)
	}
	wall.t = wall.t.Add(2 * time.Second)
	if e := c.Now(); e != stampAt(wall.t) {
		t.Fatalf("after the wall clock passed the stamps: %d, want %d", e, stampAt(wall.t))
	}
	if got := stampTime(stampAt(wall.t)); !got.Equal(wall.t) {
		t.Fatalf("stampTime(stampAt(t)) = %v, want %v", got, wall.t)
	}
}

func TestHLCObserveMovesPastARemoteStamp(t *testing.T) {
	wall := &fakeClock{t: time.UnixMilli(1_700_000_000_000)}
	c := &hlc{now: wall.now, maxSkew: time.Minute}
	remote := stampAt(wall.t.Add(30*time.Second)) + 5
	if !c.Observe(remote) {
		t.Fatal("a stamp 30 s ahead, within the 1 min skew, refused")
	}
	if s := c.Now(); s <= remote {
		t.Fatalf("stamp %d after observing %d: want above", s, remote)
	}
	if !c.Observe(stampAt(wall.t.Add(-time.Hour))) {
		t.Fatal("an old stamp refused")
	}
	if s := c.Now(); s <= remote+1 {
		t.Fatalf("an old stamp moved the clock back: %d", s)
	}
}

func TestHLCRefusesAStampTooFarAhead(t *testing.T) {
	wall := &fakeClock{t: time.UnixMilli(1_700_000_000_000)}
	c := &hlc{now: wall.now, maxSkew: time.Minute}
	before := c.Now()
	if c.Observe(stampAt(wall.t.Add(time.Minute + time.Millisecond))) {
		t.Fatal("a stamp past the skew bound was adopted")
	}
	if s := c.Now(); s != before+1 {
		t.Fatalf("a refused stamp moved the clock: %d, want %d", s, before+1)
	}
}
