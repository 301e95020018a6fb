package ort

import (
	"context"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
)

// TestSkipWarmUp: a load for a waiting request runs the model only for the
// request, and the request's run is the profile's first run, once the
// Loader has measured the model's memory across a warmed load; the first
// load of a model warms up even for a request, so that its memory,
// including what the first run adds, is measured, and later loads without
// warm-up report at least that.
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
		if first.runs.Load() != 1 || measured.FirstRun <= 0 || measured.MemoryBytes <= 0 {
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
			if skip && loaded.MemoryBytes < measured.MemoryBytes {
				t.Fatalf("fast=%v: load without warm-up reports %d bytes, less than the %d measured with it", fast, loaded.MemoryBytes, measured.MemoryBytes)
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
