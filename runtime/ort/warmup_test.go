package ort

import (
	"context"
	goruntime "runtime"
	"syscall"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/edgeserve/edgeserve/runtime"
)

// TestSkipWarmUp: a load for a waiting request runs the model only for the
// request, and the request's run is the profile's first run, once the
// Loader has measured the model's memory across a warmed load; the first
// load of a model warms up even for a request, so that its memory,
// including what the first run adds, is measured, and later loads without
// warm-up report exactly that, measuring nothing.
func TestSkipWarmUp(t *testing.T) {
	for _, fast := range []bool{false, true} {
		l := newTestLoader(t, fast)
		path := mlpModel(t, 512, 4) // 4 MiB of weights
		load := func(skip bool) (*model, runtime.Profile) {
			t.Helper()
			rm, err := l.Load(context.Background(), runtime.Source{Name: "mlp", Path: path, SkipWarmUp: skip})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rm.Close() })
			return rm.(*model), rm.Profile()
		}
		first, measured := load(true)
		// A small model's anonymous growth can be nil where freed memory
		// is reused; its weights are mapped.
		if first.runs.Load() != 1 || measured.FirstRun <= 0 || measured.MemoryBytes+measured.MappedBytes <= 0 {
			t.Fatalf("fast=%v: first load of a model: %d runs, profile %+v; want the warm-up, measured", fast, first.runs.Load(), measured)
		}
		first.Close()
		for _, skip := range []bool{true, false} {
			m, loaded := load(skip)
			wantRuns := int64(1)
			if skip {
				wantRuns = 0
			}
			if got := m.runs.Load(); got != wantRuns {
				t.Fatalf("fast=%v skip=%v: %d runs after load, want %d", fast, skip, got, wantRuns)
			}
			if (loaded.FirstRun > 0) == skip || loaded.WarmRun != loaded.FirstRun {
				t.Fatalf("fast=%v skip=%v: profile after load %+v", fast, skip, loaded)
			}
			// A request's miss reports the warmed load's two tiers as they
			// were measured, without reading the process's memory again.
			if skip && (loaded.MemoryBytes != measured.MemoryBytes || loaded.MappedBytes != measured.MappedBytes ||
				loaded.AnonymousBytes != measured.AnonymousBytes) {
				t.Fatalf("fast=%v: load without warm-up reports %d anonymous and %d mapped bytes, want the %d and %d measured with it",
					fast, loaded.MemoryBytes, loaded.MappedBytes, measured.MemoryBytes, measured.MappedBytes)
			}
			if _, err := m.Run(context.Background(), []runtime.Tensor{randomInput(m.Signature().Inputs[0], 1)}); err != nil {
				t.Fatal(err)
			}
			if got := m.runs.Load(); got != wantRuns+1 {
				t.Fatalf("fast=%v skip=%v: %d runs after one request, want %d", fast, skip, got, wantRuns+1)
			}
			p := m.Profile()
			if p.FirstRun <= 0 || (!skip && p.FirstRun != loaded.FirstRun) {
				t.Fatalf("fast=%v skip=%v: FirstRun %v after the request (%v after load)", fast, skip, p.FirstRun, loaded.FirstRun)
			}
			if skip && p.WarmRun != p.FirstRun {
				t.Fatalf("skip: WarmRun %v, want the first run's %v until a second run", p.WarmRun, p.FirstRun)
			}
			m.Close()
		}
	}
}

// TestMissReusesFreedMemory: a load without warm-up after a model was
// closed reuses the memory the closed session freed, so the request's
// first run faults in few fresh pages; returning that memory to the kernel
// at close made every miss fault its activations in again, most of what a
// first run cost more than a warm one (docs/miss-path.md). Counted in page
// faults of the running thread, not timed. This is the path without the
// shared arena (TestSharedArenaServesMisses covers that one).
func TestMissReusesFreedMemory(t *testing.T) {
	goruntime.LockOSThread() // ONNX Runtime with one thread runs on the caller's
	defer goruntime.UnlockOSThread()
	cfg := testConfig(t, true)
	cfg.SharedArena = false // sessions with an arena each, whose memory goes back to the C heap
	l, err := New(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	src := runtime.Source{Name: "mobilenet", Path: zooModel(t, "mobilenet_v1_0.25")}
	in := func(m runtime.Model) []runtime.Tensor {
		return []runtime.Tensor{randomInput(m.Signature().Inputs[0], 1)}
	}
	load := func(skip bool) runtime.Model {
		t.Helper()
		m, err := l.Load(context.Background(), runtime.Source{Name: src.Name, Path: src.Path, SkipWarmUp: skip})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := load(false) // measured: the model's memory becomes known
	m.Close()
	m = load(true) // glibc's thresholds settle to the sizes of this model
	if _, err := m.Run(context.Background(), in(m)); err != nil {
		t.Fatal(err)
	}
	m.Close()
	// firstRun loads without warm-up and counts its first run's faults.
	firstRun := func() int64 {
		m := load(true)
		defer m.Close()
		before := threadFaults()
		if _, err := m.Run(context.Background(), in(m)); err != nil {
			t.Fatal(err)
		}
		return threadFaults() - before
	}
	// Fresh memory, as after start: the largest of three, since a trim
	// does not always return everything (one CI run counted 609 faults
	// against the usual 1,050-1,300).
	var fresh int64
	for range 3 {
		releaseFreedMemory()
		fresh = max(fresh, firstRun())
	}
	reused := fresh
	// Where glibc puts each allocation varies, more so on a busy machine
	// (other threads share its arenas): the best of six. Memory returned to
	// the kernel at close, the defect this guards, faults about as much as
	// fresh memory every time.
	for range 6 {
		reused = min(reused, firstRun())
	}
	t.Logf("first run's page faults: %d with fresh memory, %d after a closed session's", fresh, reused)
	if fresh < 100 || reused > fresh*3/4 {
		t.Fatalf("first run after a reload faulted %d pages, against %d with fresh memory: want under 75%%", reused, fresh)
	}
}

// threadFaults is the calling thread's minor page faults so far.
func threadFaults() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return ru.Minflt
}
