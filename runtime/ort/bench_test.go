package ort

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/zoo"
)

// benchModelEnv names the zoo model the load benchmarks use (default
// mobilenet_v1_0.5, 5.4 MB); for example EDGESERVE_BENCH_MODEL=vgg16.
const benchModelEnv = "EDGESERVE_BENCH_MODEL"

func zooModel(tb testing.TB, name string) string {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := zoo.Write(dir, name, zoo.DefaultOptions()); err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(dir, name+".onnx")
}

func benchmarkLoad(b *testing.B, fast bool) {
	name := os.Getenv(benchModelEnv)
	if name == "" {
		name = "mobilenet_v1_0.5"
	}
	path := zooModel(b, name)
	l := newTestLoader(b, fast)
	src := runtime.Source{Name: name, Path: path}
	load := func() runtime.Profile {
		m, err := l.Load(context.Background(), src)
		if err != nil {
			b.Fatal(err)
		}
		defer m.Close()
		return m.Profile()
	}
	load() // page cache warm, prepared form made: neither is timed
	var loadNS int64
	b.ResetTimer()
	for b.Loop() {
		loadNS += load().LoadTime.Nanoseconds()
	}
	b.ReportMetric(float64(loadNS)/float64(b.N)/1e6, "load-ms/op")
}

// BenchmarkLoadDefault and BenchmarkLoadFast load the same model with ONNX
// Runtime's default load and from the prepared form; ns/op includes the
// warm-up run, load-ms/op is session creation alone. Compare the two in one
// run: go test -run '^$' -bench 'BenchmarkLoad' ./runtime/ort
func BenchmarkLoadDefault(b *testing.B) { benchmarkLoad(b, false) }

func BenchmarkLoadFast(b *testing.B) { benchmarkLoad(b, true) }

func benchmarkRun(b *testing.B, fast bool) {
	name := os.Getenv(benchModelEnv)
	if name == "" {
		name = "mobilenet_v1_0.5"
	}
	m := mustLoad(b, newTestLoader(b, fast), zooModel(b, name))
	in := []runtime.Tensor{randomInput(m.Signature().Inputs[0], 1)}
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunDefault and BenchmarkRunFast time warm inference after each
// kind of load: the prepared form skips weight prepacking, so this is
// where a cost of the fast path would show.
func BenchmarkRunDefault(b *testing.B) { benchmarkRun(b, false) }

func BenchmarkRunFast(b *testing.B) { benchmarkRun(b, true) }
