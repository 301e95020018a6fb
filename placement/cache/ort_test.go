package cache_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/placement/cache"
	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/ort"
	"github.com/edgeserve/edgeserve/runtime/zoo"
)

// ortModel adapts runtime.Model to the cache, as the node does.
type ortModel struct{ runtime.Model }

func (m ortModel) MemoryBytes() int64 { return m.Profile().MemoryBytes }

// TestRealModelsThroughONNXRuntime drives the cache with real ONNX models
// of the zoo loaded by ONNX Runtime: one load for concurrent requests, real
// inference through the handles, the charge taken from the runtime's
// measurement, eviction that closes the session, and a model ONNX Runtime
// rejects reaching every waiter and then backing off.
func TestRealModelsThroughONNXRuntime(t *testing.T) {
	testutil.ORTLibrary(t)
	dir := t.TempDir()
	for _, name := range []string{"mobilenet_v1_0.25", "squeezenet1.1", "bad_unsupported_op"} {
		if _, err := zoo.Write(dir, name, zoo.DefaultOptions()); err != nil {
			t.Fatal(err)
		}
	}
	rcfg := ort.DefaultConfig()
	rcfg.PreparedDir = t.TempDir()
	rl, err := ort.New(rcfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	c, loads := newORTCache(t, rl, dir, func(cfg *cache.Config) { cfg.CapacityBytes, cfg.RoomWait = 1<<30, 0 })

	first := runConcurrently(t, c, "mobilenet_v1_0.25", 4)
	if loads.Load() != 1 {
		t.Fatalf("%d loads for 4 concurrent requests, want 1", loads.Load())
	}
	st := c.Status()
	want := first.Profile().MemoryBytes
	t.Logf("mobilenet_v1_0.25: runtime measured %d bytes, load %v", want, first.Profile().LoadTime)
	if want <= 0 {
		want = 64 << 20 // no measurement: the hint stays the charge
	}
	if st.UsedBytes != want || st.Models[0].Bytes != want {
		t.Fatalf("charged %d bytes, runtime measured %d", st.UsedBytes, first.Profile().MemoryBytes)
	}

	// A model whose hint leaves no room beside the first evicts it, and
	// eviction closes the ONNX Runtime session.
	squeeze, err := c.Acquire(context.Background(), "squeezenet1.1", cache.AcquireOptions{SizeHintBytes: c.Status().CapacityBytes - want + 1})
	if err != nil {
		t.Fatal(err)
	}
	infer(t, squeeze.Model())
	squeeze.Release()
	if c.Resident("mobilenet_v1_0.25") {
		t.Fatal("mobilenet not evicted")
	}
	if _, err := first.Run(context.Background(), zeroInputs(first.Signature())); !errors.Is(err, runtime.ErrClosed) {
		t.Fatalf("run on the evicted model: %v, want runtime.ErrClosed", err)
	}

	// A model ONNX Runtime rejects: every waiter gets the error, then the
	// model backs off without another load.
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err := c.Acquire(context.Background(), "bad_unsupported_op", cache.AcquireOptions{}); !errors.Is(err, runtime.ErrInvalidModel) {
				t.Errorf("bad model: %v, want runtime.ErrInvalidModel", err)
			}
		})
	}
	wg.Wait()
	before := loads.Load()
	if _, err := c.Acquire(context.Background(), "bad_unsupported_op", cache.AcquireOptions{}); !errors.Is(err, cache.ErrBackoff) || !errors.Is(err, runtime.ErrInvalidModel) {
		t.Fatalf("retry at once: %v, want a back-off wrapping runtime.ErrInvalidModel", err)
	}
	if loads.Load() != before {
		t.Fatal("a model in back-off was loaded again")
	}
}

// runConcurrently acquires name from n goroutines at once, runs one
// inference on each handle and returns the model they shared.
func runConcurrently(t *testing.T, c *cache.Cache[ortModel], name string, n int) runtime.Model {
	t.Helper()
	models := make(chan runtime.Model, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			h, err := c.Acquire(context.Background(), name, cache.AcquireOptions{SizeHintBytes: 64 << 20})
			if err != nil {
				t.Error(err)
				return
			}
			infer(t, h.Model())
			models <- h.Model().Model
			h.Release()
		})
	}
	wg.Wait()
	close(models)
	var shared runtime.Model
	for m := range models {
		if shared != nil && m != shared {
			t.Fatal("concurrent requests got different sessions")
		}
		shared = m
	}
	if shared == nil {
		t.Fatal("no request got the model")
	}
	return shared
}

// infer runs one inference on zero inputs and checks the outputs' shapes.
func infer(t *testing.T, m runtime.Model) {
	t.Helper()
	outs, err := m.Run(context.Background(), zeroInputs(m.Signature()))
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != len(m.Signature().Outputs) || len(outs[0].Data) == 0 {
		t.Fatalf("outputs %d (first %d bytes), want %d", len(outs), len(outs[0].Data), len(m.Signature().Outputs))
	}
}

// zeroInputs builds zero tensors for a signature, dynamic dimensions 1.
func zeroInputs(sig runtime.Signature) []runtime.Tensor {
	var ins []runtime.Tensor
	for _, spec := range sig.Inputs {
		shape := make([]int64, len(spec.Shape))
		n := int64(1)
		for i, d := range spec.Shape {
			shape[i] = max(d, 1)
			n *= shape[i]
		}
		ins = append(ins, runtime.Tensor{Name: spec.Name, Type: spec.Type, Shape: shape, Data: make([]byte, n*int64(spec.Type.ElementSize()))})
	}
	return ins
}

// BenchmarkHitAgainstInference puts the cache's hit path (Acquire and
// Release of a loaded model) beside one inference of the smallest zoo
// classifier, measured in the same run, to show what the cache adds to a
// request.
func BenchmarkHitAgainstInference(b *testing.B) {
	testutil.ORTLibrary(b)
	dir := b.TempDir()
	const name = "mobilenet_v1_0.25"
	if _, err := zoo.Write(dir, name, zoo.DefaultOptions()); err != nil {
		b.Fatal(err)
	}
	rcfg := ort.DefaultConfig()
	rcfg.PreparedDir = b.TempDir()
	rl, err := ort.New(rcfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	loader := cache.LoaderFunc[ortModel](func(ctx context.Context, name string) (ortModel, error) {
		m, err := rl.Load(ctx, runtime.Source{Name: name, Path: filepath.Join(dir, name+".onnx")})
		return ortModel{m}, err
	})
	keys := []policy.Entry{{Key: 0}}
	lru, err := policy.New("lru", keys)
	if err != nil {
		b.Fatal(err)
	}
	cfg := cache.DefaultConfig()
	cfg.MaxModels = 1
	c, err := cache.New(cfg, cache.Deps[ortModel]{Loader: loader, Policy: lru})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(context.Background())
	ctx := context.Background()
	h, err := c.Acquire(ctx, name, cache.AcquireOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Release()
	in := zeroInputs(h.Model().Signature())
	b.Run("hit", func(b *testing.B) {
		for b.Loop() {
			h, err := c.Acquire(ctx, name, cache.AcquireOptions{})
			if err != nil {
				b.Fatal(err)
			}
			h.Release()
		}
	})
	b.Run("inference", func(b *testing.B) {
		for b.Loop() {
			if _, err := h.Model().Run(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// newORTCache is an LRU cache over eight keys whose loader loads
// DIR/NAME.onnx through rl, configured by mod; it counts the loads and is
// closed at the end of the test.
func newORTCache(t *testing.T, rl *ort.Loader, dir string, mod func(*cache.Config)) (*cache.Cache[ortModel], *atomic.Int32) {
	t.Helper()
	return newORTCacheFor(t, rl, dir, mod, false)
}

// newORTCacheFor is newORTCache whose loads, with misses set, are a node's
// request misses: without warm-up once the model's memory is known (they
// then allocate from the shared arena), the Loader's HeldBytes counted as
// used.
func newORTCacheFor(t *testing.T, rl *ort.Loader, dir string, mod func(*cache.Config), misses bool) (*cache.Cache[ortModel], *atomic.Int32) {
	t.Helper()
	loads := new(atomic.Int32)
	loader := cache.LoaderFunc[ortModel](func(ctx context.Context, name string) (ortModel, error) {
		loads.Add(1)
		m, err := rl.Load(ctx, runtime.Source{Name: name, Path: filepath.Join(dir, name+".onnx"), SkipWarmUp: misses})
		return ortModel{m}, err
	})
	var held func() int64
	if misses {
		held = rl.HeldBytes
	}
	keys := make([]policy.Entry, 8)
	for i := range keys {
		keys[i].Key = policy.Key(i)
	}
	lru, err := policy.New("lru", keys)
	if err != nil {
		t.Fatal(err)
	}
	cfg := cache.DefaultConfig()
	cfg.MaxModels = len(keys)
	mod(&cfg)
	c, err := cache.New(cfg, cache.Deps[ortModel]{Loader: loader, Policy: lru, Logger: zaptest.NewLogger(t), HeldBytes: held})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c, loads
}
