package ort

import (
	"context"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
)

// TestSkipWarmUp: a load for a waiting request runs the model only for the
// request, and the request's run is the profile's first run; a load nobody
// waits for runs the warm-up, once, before it returns.
func TestSkipWarmUp(t *testing.T) {
	for _, fast := range []bool{false, true} {
		l := newTestLoader(t, fast)
		path := mlpModel(t, 64, 2)
		for _, skip := range []bool{true, false} {
			rm, err := l.Load(context.Background(), runtime.Source{Name: "mlp", Path: path, SkipWarmUp: skip})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rm.Close() })
			m := rm.(*model)
			wantRuns, loaded := int64(1), m.Profile()
			if skip {
				wantRuns = 0
			}
			if got := m.runs.Load(); got != wantRuns {
				t.Fatalf("fast=%v skip=%v: %d runs after load, want %d", fast, skip, got, wantRuns)
			}
			if (loaded.FirstRun > 0) == skip || loaded.WarmRun != loaded.FirstRun {
				t.Fatalf("fast=%v skip=%v: profile after load %+v", fast, skip, loaded)
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
		}
	}
}
