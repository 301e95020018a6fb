package ort

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	onnx "github.com/yalue/onnxruntime_go"

	"github.com/edgeserve/edgeserve/runtime"
)

func TestAddComputesSum(t *testing.T) {
	for _, fast := range []bool{false, true} {
		m := mustLoad(t, newTestLoader(t, fast), addModel(t))
		a := []float32{1, 2, 3, 4, 5, 6}
		b := []float32{0.5, -2, 30, 4e3, 5, 0}
		out, err := m.Run(context.Background(), []runtime.Tensor{
			float32Tensor("b", []int64{2, 3}, b...), float32Tensor("a", []int64{2, 3}, a...),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 1 || out[0].Name != "sum" || !slices.Equal(out[0].Shape, []int64{2, 3}) {
			t.Fatalf("outputs %+v", out)
		}
		for i, got := range float32s(t, out[0]) {
			if got != a[i]+b[i] {
				t.Errorf("fast=%v: sum[%d] = %v, want %v", fast, i, got, a[i]+b[i])
			}
		}
	}
}

func TestSignatureMatchesBinding(t *testing.T) {
	newTestLoader(t, false) // initialises the environment
	paths := map[string]string{"add": addModel(t), "mlp": mlpModel(t, 16, 2), "fp16": identityModel(t, runtime.Float16)}
	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			sig, err := readSignature(path)
			if err != nil {
				t.Fatal(err)
			}
			ins, outs, err := onnx.GetInputOutputInfo(path)
			if err != nil {
				t.Fatal(err)
			}
			compareInfo(t, sig.Inputs, ins)
			compareInfo(t, sig.Outputs, outs)
		})
	}
}

func compareInfo(t *testing.T, specs []runtime.TensorSpec, infos []onnx.InputOutputInfo) {
	t.Helper()
	if len(specs) != len(infos) {
		t.Fatalf("%d specs, binding reports %d", len(specs), len(infos))
	}
	for i, info := range infos {
		s := specs[i]
		if s.Name != info.Name || int(s.Type) != int(info.DataType) || !slices.Equal(s.Shape, []int64(info.Dimensions)) {
			t.Errorf("spec %+v, binding %s", s, info.String())
		}
	}
}

func TestElementTypesRoundTrip(t *testing.T) {
	types := []runtime.DataType{runtime.Float32, runtime.Float16, runtime.BFloat16, runtime.Float64,
		runtime.Int8, runtime.Int16, runtime.Int32, runtime.Int64,
		runtime.Uint8, runtime.Uint16, runtime.Uint32, runtime.Uint64, runtime.Bool}
	l := newTestLoader(t, false)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dt := range types {
		t.Run(dt.String(), func(t *testing.T) {
			m := mustLoad(t, l, identityModel(t, dt))
			in := runtime.Tensor{Name: "x", Type: dt, Shape: []int64{3, 2}, Data: make([]byte, 6*dt.ElementSize())}
			for i := range in.Data {
				in.Data[i] = byte(rng.IntN(256))
			}
			if dt == runtime.Bool {
				for i := range in.Data {
					in.Data[i] &= 1
				}
			}
			out, err := m.Run(context.Background(), []runtime.Tensor{in})
			if err != nil {
				t.Fatal(err)
			}
			if out[0].Type != dt || !slices.Equal(out[0].Shape, in.Shape) || !slices.Equal(out[0].Data, in.Data) {
				t.Errorf("identity gave %s %v %x, want %s %v %x", out[0].Type, out[0].Shape, out[0].Data, dt, in.Shape, in.Data)
			}
		})
	}
}

func TestBadInputsAreRejected(t *testing.T) {
	m := mustLoad(t, newTestLoader(t, false), addModel(t))
	ok := func() []runtime.Tensor {
		return []runtime.Tensor{float32Tensor("a", []int64{1, 3}, 1, 2, 3), float32Tensor("b", []int64{1, 3}, 1, 2, 3)}
	}
	tests := []struct {
		name   string
		mutate func([]runtime.Tensor) []runtime.Tensor
	}{
		{"wrong type", func(in []runtime.Tensor) []runtime.Tensor { in[0].Type = runtime.Int32; return in }},
		{"wrong shape", func(in []runtime.Tensor) []runtime.Tensor { in[0].Shape = []int64{3, 1}; return in }},
		{"wrong rank", func(in []runtime.Tensor) []runtime.Tensor { in[0].Shape = []int64{3}; return in }},
		{"wrong byte count", func(in []runtime.Tensor) []runtime.Tensor { in[1].Data = in[1].Data[:11]; return in }},
		{"missing", func(in []runtime.Tensor) []runtime.Tensor { return in[1:] }},
		{"extra", func(in []runtime.Tensor) []runtime.Tensor { return append(in, float32Tensor("c", []int64{1}, 1)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Run(context.Background(), tt.mutate(ok()))
			if !errors.Is(err, runtime.ErrInvalidInput) {
				t.Fatalf("error %v, want ErrInvalidInput", err)
			}
			if _, err := m.Run(context.Background(), ok()); err != nil {
				t.Fatalf("model unusable after bad input: %v", err)
			}
		})
	}
}

func TestConcurrentRunsAndClose(t *testing.T) {
	m, err := newTestLoader(t, true).Load(context.Background(), runtime.Source{Name: "mlp", Path: mlpModel(t, 64, 2)})
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Run(context.Background(), []runtime.Tensor{randomInput(m.Signature().Inputs[0], 1)})
	if err != nil {
		t.Fatal(err)
	}
	var wg, started sync.WaitGroup
	errs := make(chan error, 64)
	for range 8 {
		started.Add(1)
		wg.Go(func() {
			for i := range 20 {
				if i == 1 {
					started.Done()
				}
				got, err := m.Run(context.Background(), []runtime.Tensor{randomInput(m.Signature().Inputs[0], 1)})
				if errors.Is(err, runtime.ErrClosed) {
					return
				}
				if err != nil || !slices.Equal(got[0].Data, want[0].Data) {
					errs <- err
					return
				}
			}
		})
	}
	started.Wait() // every goroutine has run once; Close races the rest
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent run: wrong output or error %v", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := m.Run(context.Background(), []runtime.Tensor{randomInput(m.Signature().Inputs[0], 1)}); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Run after Close: %v, want ErrClosed", err)
	}
}

func TestCancelledContext(t *testing.T) {
	l := newTestLoader(t, false)
	m := mustLoad(t, l, addModel(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := []runtime.Tensor{float32Tensor("a", []int64{1, 3}, 1, 2, 3), float32Tensor("b", []int64{1, 3}, 1, 2, 3)}
	if _, err := m.Run(ctx, in); !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
	if _, err := l.Load(ctx, runtime.Source{Path: addModel(t)}); !errors.Is(err, context.Canceled) {
		t.Errorf("Load: %v, want context.Canceled", err)
	}
	live, stop := context.WithCancel(context.Background())
	defer stop()
	if _, err := m.Run(live, in); err != nil {
		t.Errorf("Run with a cancellable context: %v", err)
	}
}
