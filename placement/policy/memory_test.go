package policy

import (
	"testing"
	"time"
)

// TestMemorySwitches: victims idle for long switch to the long memory,
// short idle times switch back, and values between the thresholds keep
// the current mode.
func TestMemorySwitches(t *testing.T) {
	m := newMemory(8*time.Minute, 3*time.Minute)
	steps := []struct {
		idle     time.Duration
		times    int
		wantLong bool
	}{
		{5 * time.Second, 10, false},
		{5 * time.Minute, 200, false}, // between the thresholds: stays short
		{30 * time.Minute, 200, true},
		{5 * time.Minute, 200, true}, // between: stays long
		{time.Second, 200, false},
	}
	for i, s := range steps {
		for range s.times {
			m.evicted(s.idle)
		}
		if m.long != s.wantLong {
			t.Fatalf("step %d (idle %v): long = %v, want %v", i, s.idle, m.long, s.wantLong)
		}
	}
}

// TestEdgeServeLongMemoryDropsAdmission: once victims have been idle for
// long, a one-off model is admitted where the short memory declines it.
func TestEdgeServeLongMemoryDropsAdmission(t *testing.T) {
	models := []Entry{{Key: 0, SizeBytes: 1, LoadCost: time.Second}, {Key: 1, SizeBytes: 1, LoadCost: time.Second}}
	p, err := NewEdgeServe(DefaultEdgeServeConfig(), models)
	if err != nil {
		t.Fatal(err)
	}
	all := func(Key) bool { return true }
	for i := range 5 {
		now := time.Duration(i) * time.Second
		p.OnAccess(models[0], now, i > 0)
		if i == 0 {
			p.OnInsert(models[0], now)
		}
	}
	p.OnAccess(models[1], 5*time.Second, false)
	if got := p.Victims(1, 5*time.Second, all); len(got) != 0 {
		t.Fatalf("short memory: victims %v, want none (admission declines)", got)
	}
	for range 200 {
		p.memory.evicted(time.Hour)
	}
	if !p.memory.long {
		t.Fatal("memory did not switch to long")
	}
	if got := p.Victims(1, 5*time.Second, all); len(got) != 1 || got[0] != 0 {
		t.Fatalf("long memory: victims %v, want [0]", got)
	}
}
