package testutil

import (
	"testing"
	"time"
)

// EventuallyTimeout bounds how long Eventually waits: long enough for a
// loaded machine running the race detector, short enough that a test that
// will never pass stops.
const EventuallyTimeout = 20 * time.Second

// eventuallyPoll is how often Eventually checks its condition.
const eventuallyPoll = 5 * time.Millisecond

// Eventually polls cond until it holds, and fails t naming what it waited
// for when EventuallyTimeout passes first.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	EventuallyWithin(t, EventuallyTimeout, what, cond)
}

// EventuallyWithin is Eventually with its own bound, for a wait known to
// take longer (coordinates converging over delayed links in a benchmark).
func EventuallyWithin(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !poll(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// poll reports whether cond held before timeout passed.
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(eventuallyPoll)
	}
	return true
}
