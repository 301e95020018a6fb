package ort

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/onnxpb"
	"github.com/edgeserve/edgeserve/runtime/zoo"
)

func TestBadModelsAreRejected(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, err := os.ReadFile(mlpModel(t, 32, 2))
	if err != nil {
		t.Fatal(err)
	}
	noise := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	models := map[string]string{
		"random bytes":        write("random.onnx", noise),
		"truncated":           write("truncated.onnx", good[:len(good)*2/3]),
		"truncated header":    write("header.onnx", good[:40]),
		"empty":               write("empty.onnx", nil),
		"unsupported op":      unsupportedOpModel(t),
		"text":                write("text.onnx", []byte("this is not a model\n")),
		"graph without nodes": write("nograph.onnx", []byte{0x08, 0x08}),
	}
	for _, fast := range []bool{false, true} {
		l := newTestLoader(t, fast)
		for name, path := range models {
			t.Run(name+"/fast="+strconv.FormatBool(fast), func(t *testing.T) {
				m, err := l.Load(context.Background(), runtime.Source{Name: name, Path: path})
				if !errors.Is(err, runtime.ErrInvalidModel) {
					if m != nil {
						m.Close()
					}
					t.Fatalf("Load = %v, want ErrInvalidModel", err)
				}
			})
		}
		if _, err := l.Load(context.Background(), runtime.Source{Path: filepath.Join(dir, "absent.onnx")}); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("missing file: %v, want fs.ErrNotExist", err)
		}
		mustLoad(t, l, addModel(t)) // the loader still works
	}
}

func TestProvidersUnavailableOnCPUBuild(t *testing.T) {
	for _, p := range []string{ProviderCUDA, ProviderTensorRT} {
		t.Run(p, func(t *testing.T) {
			cfg := testConfig(t, false)
			cfg.Provider = p
			l, err := New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = l.Load(context.Background(), runtime.Source{Name: "add", Path: addModel(t)})
			if !errors.Is(err, runtime.ErrUnavailable) {
				t.Fatalf("Load = %v, want ErrUnavailable", err)
			}
			want := map[string]string{ProviderCUDA: "CUDA", ProviderTensorRT: "TensorRT"}[p]
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name        string
		mutate      func(*Config)
		unavailable bool
	}{
		{"no library", func(c *Config) { c.LibraryPath = "" }, true},
		{"missing library", func(c *Config) { c.LibraryPath = "/nonexistent/libonnxruntime.so" }, true},
		{"negative threads", func(c *Config) { c.IntraOpThreads = -1 }, false},
		{"unknown provider", func(c *Config) { c.Provider = "rocm" }, false},
		{"fast without dir", func(c *Config) { c.PreparedDir = "" }, false},
		{"bad weight", func(c *Config) { c.WarmRunWeight = 0 }, false},
		{"unaligned", func(c *Config) { c.AlignBytes = 1000 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, true)
			tt.mutate(&cfg)
			_, err := New(cfg, nil)
			if err == nil || errors.Is(err, runtime.ErrUnavailable) != tt.unavailable {
				t.Fatalf("New = %v (unavailable %v)", err, tt.unavailable)
			}
		})
	}
}

func TestPreparedMatchesDefault(t *testing.T) {
	path := mlpModel(t, 256, 4)
	original, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	plain := mustLoad(t, newTestLoader(t, false), path)
	fastLoader := newTestLoader(t, true)
	fast := mustLoad(t, fastLoader, path)
	if plain.Profile().Prepared || !fast.Profile().Prepared || fast.Profile().PrepareTime <= 0 {
		t.Fatalf("profiles: plain %+v fast %+v", plain.Profile(), fast.Profile())
	}
	for seed := range uint64(3) {
		in := []runtime.Tensor{randomInput(plain.Signature().Inputs[0], seed)}
		want, err := plain.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fast.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, float32s(t, got[0]), float32s(t, want[0]), 1e-4)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(original, after) {
		t.Error("the original model was modified")
	}
	again := mustLoad(t, fastLoader, path)
	if !again.Profile().Prepared || again.Profile().PrepareTime != 0 {
		t.Errorf("second fast load must reuse the prepared form: %+v", again.Profile())
	}
}

func assertClose(t *testing.T, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d values, want %d", len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("value %d: %v, want %v", i, got[i], want[i])
		}
	}
}

func TestProfileMeasures(t *testing.T) {
	const width, layers = 512, 4 // 4 MiB of weights
	m := mustLoad(t, newTestLoader(t, false), mlpModel(t, width, layers))
	p := m.Profile()
	if p.LoadTime <= 0 || p.FirstRun <= 0 || p.WarmRun != p.FirstRun {
		t.Fatalf("profile after load: %+v", p)
	}
	if p.MemoryBytes < width*width*layers*4/2 {
		t.Errorf("MemoryBytes %d, want at least half the %d bytes of weights", p.MemoryBytes, width*width*layers*4)
	}
	in := []runtime.Tensor{randomInput(m.Signature().Inputs[0], 1)}
	for range 5 {
		if _, err := m.Run(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	if w := m.Profile().WarmRun; w <= 0 || w == p.FirstRun {
		t.Errorf("WarmRun %v not updated by runs (first run %v)", w, p.FirstRun)
	}
}

// TestLoadUnloadDoesNotLeak loads, runs and closes a model many times and
// checks resident memory stays within a bound after the first cycles.
func TestLoadUnloadDoesNotLeak(t *testing.T) {
	const cycles = 40
	path := mlpModel(t, 512, 4) // 4 MiB of weights: a leak would add 160 MiB
	for _, fast := range []bool{false, true} {
		l := newTestLoader(t, fast)
		cycle := func() {
			m, err := l.Load(context.Background(), runtime.Source{Name: "mlp", Path: path})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Run(context.Background(), []runtime.Tensor{randomInput(m.Signature().Inputs[0], 1)}); err != nil {
				t.Fatal(err)
			}
			m.Close()
		}
		for range 5 {
			cycle()
		}
		before, _ := readResident()
		for range cycles {
			cycle()
		}
		after, _ := readResident()
		if growth := after.anon + after.file - before.anon - before.file; growth > 32<<20 {
			t.Errorf("fast=%v: resident memory grew %d MiB over %d load/unload cycles", fast, growth>>20, cycles)
		}
	}
}

// TestFP16OutputOfUnknownShape: the binding cannot size FP16 outputs
// itself, so one whose shape is not bound to an input fails with a clear
// error instead of a wrong result.
func TestFP16OutputOfUnknownShape(t *testing.T) {
	path := writeModel(t, &onnxpb.GraphProto{
		Name:   "fp16_unbound",
		Node:   []*onnxpb.NodeProto{node("Identity", []string{"x"}, []string{"y"})},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", runtime.Float16, "n", 2)},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", runtime.Float16, "m", 2)},
	})
	_, err := newTestLoader(t, false).Load(context.Background(), runtime.Source{Name: "fp16", Path: path})
	if !errors.Is(err, runtime.ErrInvalidModel) || !strings.Contains(err.Error(), "FP16") {
		t.Fatalf("Load = %v, want ErrInvalidModel naming FP16", err)
	}
}

// TestConcurrentLoadsMeasureEachModel loads a large and a small model at
// the same time, many times: each one's measured memory must stay near what
// it measures when loaded alone, not absorb the other's growth.
func TestConcurrentLoadsMeasureEachModel(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"mobilenet_v1_0.25", "squeezenet1.1"} {
		if _, err := zoo.Write(dir, name, zoo.DefaultOptions()); err != nil {
			t.Fatal(err)
		}
	}
	l, err := New(testConfig(t, false), nil)
	if err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "mobilenet_v1_0.25.onnx")
	big := filepath.Join(dir, "squeezenet1.1.onnx")
	alone, bigAlone := mustLoad(t, l, small), mustLoad(t, l, big)
	limit := alone.Profile().MemoryBytes + bigAlone.Profile().MemoryBytes/2
	alone.Close()
	bigAlone.Close()
	for range 8 {
		var wg sync.WaitGroup
		var bigModel runtime.Model
		var bigErr error
		wg.Go(func() { bigModel, bigErr = l.Load(context.Background(), runtime.Source{Name: "big", Path: big}) })
		m := mustLoad(t, l, small)
		wg.Wait()
		if bigErr != nil {
			t.Fatal(bigErr)
		}
		if got := m.Profile().MemoryBytes; got > limit {
			t.Errorf("small model measured %d bytes beside a concurrent load, %d alone", got, alone.Profile().MemoryBytes)
		}
		m.Close()
		bigModel.Close()
	}
}
