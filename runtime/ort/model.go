package ort

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	onnx "github.com/yalue/onnxruntime_go"

	"github.com/edgeserve/edgeserve/runtime"
)

// model is a loaded ONNX Runtime session. ONNX Runtime's Run is safe for
// concurrent use on one session, so runs share a read lock that only Close
// takes exclusively: Close waits for runs in progress, and runs after it
// fail with runtime.ErrClosed.
type model struct {
	name string
	sig  modelSignature
	warm *runtime.EWMA
	// firstRun is the first run's wall time in nanoseconds, 0 until a run
	// (the warm-up, or the first request's after a load without one) has
	// finished; that run does not feed warm.
	firstRun atomic.Int64
	// runs counts the session's runs, warm-up included.
	runs atomic.Int64
	// shared is set when the session allocates from the shared arena
	// (sharedarena.go).
	shared bool

	mu      sync.RWMutex // guards sess, closed and profile's load-time fields
	sess    *onnx.DynamicAdvancedSession
	unmap   func() // releases the mapping the session uses, if any (ortformat.go)
	closed  bool
	profile runtime.Profile
}

var _ runtime.Model = (*model)(nil)

func (m *model) Signature() runtime.Signature { return m.sig.Signature }

// Profile returns the load-time measurements, the first run's time and the
// current warm-run estimate (the first run's time until a later run is
// observed).
func (m *model) Profile() runtime.Profile {
	m.mu.RLock()
	p := m.profile
	m.mu.RUnlock()
	p.FirstRun = time.Duration(m.firstRun.Load())
	p.WarmRun = p.FirstRun
	if m.warm.Count() > 0 {
		p.WarmRun = m.warm.Value()
	}
	return p
}

// setMemory records the two tiers measured across the load: the cache is
// charged the anonymous memory only (MemoryBytes); the mapped weights are
// file pages the kernel can drop and read again.
func (m *model) setMemory(grown residentSet) {
	m.profile.AnonymousBytes = grown.anon
	m.profile.MappedBytes = grown.file
	m.profile.MemoryBytes = grown.anon
}

// observe records a finished run: the first as FirstRun, later ones in the
// warm-run estimate. Two first runs at once both paid the cold start; the
// one that records second is counted as warm.
func (m *model) observe(took time.Duration) {
	if !m.firstRun.CompareAndSwap(0, max(int64(took), 1)) {
		m.warm.Observe(took)
	}
}

// Run validates the inputs against the signature, then runs the model.
// Cancelling ctx terminates a run in progress.
func (m *model) Run(ctx context.Context, inputs []runtime.Tensor) ([]runtime.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ordered, err := m.sig.Bind(inputs)
	if err != nil {
		return nil, fmt.Errorf("ort: model %s: %w", m.name, err)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, fmt.Errorf("ort: model %s: %w", m.name, runtime.ErrClosed)
	}
	start := time.Now()
	outs, err := m.run(ctx, ordered)
	if err != nil {
		return nil, fmt.Errorf("ort: model %s: %w", m.name, err)
	}
	m.observe(time.Since(start))
	return outs, nil
}

// run executes the session; the caller holds the read lock.
func (m *model) run(ctx context.Context, ordered []runtime.Tensor) ([]runtime.Tensor, error) {
	ins, err := m.inputValues(ordered)
	defer destroyAll(ins)
	if err != nil {
		return nil, err
	}
	outs, err := m.outputValues(ordered)
	defer destroyAll(outs)
	if err != nil {
		return nil, err
	}
	opts, stop, err := runOptions(ctx)
	if err != nil {
		return nil, err
	}
	defer stop()
	m.runs.Add(1)
	if err := m.sess.RunWithOptions(ins, outs, opts); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("run cancelled: %w", ctx.Err())
		}
		return nil, newRunError(err)
	}
	return m.toTensors(outs)
}

func (m *model) inputValues(ordered []runtime.Tensor) ([]onnx.Value, error) {
	vals := make([]onnx.Value, 0, len(ordered))
	for _, t := range ordered {
		v, err := newValue(t)
		if err != nil {
			return vals, err
		}
		vals = append(vals, v)
	}
	return vals, nil
}

func (m *model) outputValues(ordered []runtime.Tensor) ([]onnx.Value, error) {
	vals := make([]onnx.Value, len(m.sig.Outputs))
	for i, spec := range m.sig.Outputs {
		v, err := newOutput(spec, m.sig.outputShape(i, ordered))
		if err != nil {
			return vals, err
		}
		vals[i] = v
	}
	return vals, nil
}

func (m *model) toTensors(outs []onnx.Value) ([]runtime.Tensor, error) {
	res := make([]runtime.Tensor, len(outs))
	for i, v := range outs {
		t, err := toTensor(m.sig.Outputs[i].Name, v)
		if err != nil {
			return nil, err
		}
		res[i] = t
	}
	return res, nil
}

// runOptions returns run options that terminate the run when ctx is
// cancelled, or nil options for a context that cannot be cancelled.
func runOptions(ctx context.Context) (*onnx.RunOptions, func(), error) {
	if ctx.Done() == nil {
		return nil, func() {}, nil
	}
	opts, err := onnx.NewRunOptions()
	if err != nil {
		return nil, nil, fmt.Errorf("run options: %w", err)
	}
	// If ctx is cancelled, the callback terminates the run. When stop finds
	// the callback already started, it waits for it to finish before the
	// options are destroyed, so Terminate never touches freed options.
	done := make(chan struct{})
	stopWatch := context.AfterFunc(ctx, func() {
		defer close(done)
		_ = opts.Terminate()
	})
	return opts, func() {
		if !stopWatch() {
			<-done
		}
		opts.Destroy()
	}, nil
}

func destroyAll(vals []onnx.Value) {
	for _, v := range vals {
		if v != nil {
			v.Destroy()
		}
	}
}

// Close releases the session. Its freed memory stays in the C heap for the
// next load to reuse (glibc's own trim and mmap thresholds bound what it
// keeps); the next measured load returns it to the kernel first. It waits
// for runs in progress and is idempotent.
func (m *model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	err := m.sess.Destroy()
	if m.unmap != nil {
		m.unmap()
	}
	if err != nil {
		return fmt.Errorf("ort: close %s: %w", m.name, err)
	}
	return nil
}

// outputShape is output i's shape for these inputs: each dynamic dimension
// that shares its symbolic name with an input dimension takes that input's
// actual size. It returns nil when a dimension stays unknown.
func (s modelSignature) outputShape(i int, inputs []runtime.Tensor) []int64 {
	spec := s.Outputs[i]
	if spec.Shape == nil {
		return nil
	}
	shape := make([]int64, len(spec.Shape))
	for j, d := range spec.Shape {
		if d < 0 {
			d = s.inputDim(s.outputDims[i][j], inputs)
		}
		if d < 0 {
			return nil
		}
		shape[j] = d
	}
	return shape
}

func (s modelSignature) inputDim(symbol string, inputs []runtime.Tensor) int64 {
	if symbol == "" {
		return -1
	}
	for k, names := range s.inputDims {
		for j, name := range names {
			if name == symbol && j < len(inputs[k].Shape) {
				return inputs[k].Shape[j]
			}
		}
	}
	return -1
}
