package ort

import (
	"context"
	goruntime "runtime"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/edgeserve/edgeserve/runtime"
)

// TestSharedArenaServesMisses: a load without warm-up (a request's miss)
// makes a session that allocates from the shared arena, and its first run
// after another such session was closed takes the arena's free memory
// instead of growing it or faulting fresh pages in; a measured load keeps
// an arena of its own, so the arena does not change its measured memory;
// what the arena holds free once the session is closed is HeldBytes.
func TestSharedArenaServesMisses(t *testing.T) {
	goruntime.LockOSThread() // ONNX Runtime with one thread runs on the caller's
	defer goruntime.UnlockOSThread()
	l := newTestLoader(t, true)
	path := zooModel(t, "mobilenet_v1_0.25")
	load := func(skip bool) *model {
		t.Helper()
		m, err := l.Load(context.Background(), runtime.Source{Name: "mobilenet", Path: path, SkipWarmUp: skip})
		if err != nil {
			t.Fatal(err)
		}
		return m.(*model)
	}
	var in []runtime.Tensor // made once, so that counting faults counts no fresh Go memory
	run := func(m *model) {
		t.Helper()
		if in == nil {
			in = []runtime.Tensor{randomInput(m.Signature().Inputs[0], 1)}
		}
		if _, err := m.Run(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	stats := func() arenaStats {
		t.Helper()
		st, err := sharedArenaStats()
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	before := stats()
	m := load(false) // measured, with its warm-up run
	if m.shared || stats() != before {
		t.Fatalf("measured load: shared %v, arena %+v -> %+v: want an arena of its own", m.shared, before, stats())
	}
	m.Close()

	m = load(true)
	run(m)
	grown := stats()
	if !m.shared || grown.allocs <= before.allocs || grown.total == 0 {
		t.Fatalf("load without warm-up: shared %v, arena %+v: want its run served by the shared arena", m.shared, grown)
	}
	m.Close()
	st := stats()
	if held := l.HeldBytes(); held != st.total-st.inUse || held == 0 {
		t.Fatalf("HeldBytes %d after close, arena %+v: want its free memory", held, st)
	}

	m = load(true)
	defer m.Close()
	faults := threadFaults()
	run(m)
	faults = threadFaults() - faults
	t.Logf("first run after a closed session's: %d page faults", faults)
	if after := stats(); after.total != grown.total || faults > 100 {
		t.Fatalf("first run after a closed session's: arena %d -> %d bytes, %d page faults: want the freed memory reused", grown.total, after.total, faults)
	}
}

// TestHeldBytesWithoutSharedArena: a Loader that does not use the shared
// arena holds nothing outside its models' charges.
func TestHeldBytesWithoutSharedArena(t *testing.T) {
	cfg := testConfig(t, true)
	cfg.SharedArena = false
	l, err := New(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m, err := l.Load(context.Background(), runtime.Source{Name: "mobilenet", Path: zooModel(t, "mobilenet_v1_0.25"), SkipWarmUp: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.(*model).shared || l.HeldBytes() != 0 {
		t.Fatalf("shared %v, HeldBytes %d: want no shared arena", m.(*model).shared, l.HeldBytes())
	}
}
