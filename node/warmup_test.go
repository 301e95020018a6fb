package node

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/edgeserve/edgeserve/internal/testutil"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/ort"
)

// loadRecord is what observedLoader saw of one load.
type loadRecord struct {
	skipWarmUp bool
	// firstRunAtLoad is the profile's FirstRun when Load returned: nonzero
	// only if the backend ran the model inside Load (a warm-up).
	firstRunAtLoad time.Duration
	runs           *atomic.Int64 // the requests' runs of the loaded model
	model          runtime.Model
}

// observedLoader wraps the real ONNX Runtime loader and records each load.
type observedLoader struct {
	runtime.Loader
	mu    sync.Mutex
	loads []loadRecord
}

type countedModel struct {
	runtime.Model
	runs *atomic.Int64
}

func (m countedModel) Run(ctx context.Context, in []runtime.Tensor) ([]runtime.Tensor, error) {
	m.runs.Add(1)
	return m.Model.Run(ctx, in)
}

func (o *observedLoader) Load(ctx context.Context, src runtime.Source) (runtime.Model, error) {
	m, err := o.Loader.Load(ctx, src)
	if err != nil {
		return nil, err
	}
	rec := loadRecord{skipWarmUp: src.SkipWarmUp, firstRunAtLoad: m.Profile().FirstRun, runs: new(atomic.Int64), model: m}
	o.mu.Lock()
	o.loads = append(o.loads, rec)
	o.mu.Unlock()
	return countedModel{m, rec.runs}, nil
}

func (o *observedLoader) records() []loadRecord {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]loadRecord(nil), o.loads...)
}

// TestRequestMissRunsOnce: a miss caused by a request loads the model
// without a warm-up run, so the model runs exactly once, for the request,
// and that run is the profile's FirstRun; an explicit load (nobody waits)
// warms the model up. The explicit load comes first: the backend warms up
// the first load of a model even for a request, to measure its memory.
func TestRequestMissRunsOnce(t *testing.T) {
	oc := ort.DefaultConfig()
	oc.LibraryPath = testutil.ORTLibrary(t)
	oc.PreparedDir = t.TempDir()
	rl, err := ort.New(oc, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rl.Close() })
	obs := &observedLoader{Loader: rl}
	tn := startNode(t, func(_ *Config, d *Deps) { d.Loader = obs })
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	pushed := len(obs.records()) // the push may check the model with a load
	if _, err := tn.infer.RepositoryModelLoad(adminCtx(t), &pb.RepositoryModelLoadRequest{ModelName: "adder"}); err != nil {
		t.Fatal(err)
	}
	loads := obs.records()[pushed:]
	if len(loads) != 1 || loads[0].skipWarmUp || loads[0].firstRunAtLoad <= 0 {
		t.Fatalf("explicit load: %d loads, %+v; want one, with a warm-up inside Load", len(loads), loads)
	}
	if _, err := tn.infer.RepositoryModelUnload(adminCtx(t), &pb.RepositoryModelUnloadRequest{ModelName: "adder"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "unload", func() bool { return !tn.cache.Resident("adder:1") })

	ctx := testCtx(t)
	if _, err := tn.infer.ModelInfer(ctx, addRequest("adder", []float32{1, 2}, []float32{3, 4}, []int64{1, 2})); err != nil {
		t.Fatal(err)
	}
	loads = obs.records()[pushed:]
	if len(loads) != 2 {
		t.Fatalf("%d loads after a load, an unload and one request, want 2", len(loads))
	}
	miss := loads[1]
	if !miss.skipWarmUp || miss.firstRunAtLoad != 0 || miss.runs.Load() != 1 {
		t.Fatalf("request miss: skip warm-up %v, FirstRun at load %v, request runs %d; want true, 0 (no run inside Load), 1",
			miss.skipWarmUp, miss.firstRunAtLoad, miss.runs.Load())
	}
	if p := miss.model.Profile(); p.FirstRun <= 0 {
		t.Fatalf("FirstRun after the request = %v, want the request's run", p.FirstRun)
	}
}
