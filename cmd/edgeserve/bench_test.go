package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/runtime/zoo"
)

func benchCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	testutil.ORTLibrary(t)
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"bench", "runtime"}, args...))
	err := root.Execute()
	return out.String(), errOut.String(), err
}

func benchZoo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"tiny_mlp", "add_fp16", "bad_unsupported_op"} {
		if _, err := zoo.Write(dir, name, zoo.DefaultOptions()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBenchRuntimeJSON checks the JSON document the simulator reads: every
// field of the schema, one entry per loadable model, the bad model skipped
// with its reason.
func TestBenchRuntimeJSON(t *testing.T) {
	out, progress, err := benchCmd(t, "--models", benchZoo(t), "--reps", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"ort_version", "cpu", "threads", "reps", "models", "summary"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("missing %q", k)
		}
	}
	var r benchReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Reps != 2 || r.Threads != 1 || len(r.Models) != 2 || r.Summary.Models5MB != 0 {
		t.Fatalf("report %+v", r)
	}
	for _, m := range r.Models {
		if m.Params == 0 && m.Name == "tiny_mlp" || m.LoadMS.Default.Median <= 0 || m.LoadMS.Fast.Median <= 0 || m.WarmRunMS.Median <= 0 || m.MissHitRatio.Default <= 0 ||
			m.FastWarmRunMS.Median <= 0 || m.FirstRunMS.Fast.Median <= 0 || m.NodeMissHitRatio <= 0 {
			t.Errorf("model %+v", m)
		}
		if m.LoadMS.Default.P95 < m.LoadMS.Default.Median {
			t.Errorf("%s: p95 below median", m.Name)
		}
	}
	if !strings.Contains(progress, "skipping bad_unsupported_op.onnx") {
		t.Errorf("bad model not reported: %s", progress)
	}
	models := doc["models"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "file_bytes", "params", "memory_bytes", "prepare_ms", "load_ms", "first_run_ms", "warm_run_ms", "miss_hit_ratio",
		"fast_warm_run_ms", "anonymous_bytes", "mapped_bytes", "node_miss_hit_ratio"} {
		if _, ok := models[k]; !ok {
			t.Errorf("model entry missing %q", k)
		}
	}
}

func TestBenchRuntimeTable(t *testing.T) {
	out, _, err := benchCmd(t, "--models", benchZoo(t), "--reps", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tiny_mlp", "add_fp16", "fast load ms", "miss/hit", "node miss/hit", "models >= 5 MB: 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchRuntimeBadFlags(t *testing.T) {
	tests := [][]string{{}, {"--models", t.TempDir()}, {"--models", t.TempDir(), "--reps", "0"}}
	for _, args := range tests {
		if _, _, err := benchCmd(t, args...); err == nil {
			t.Errorf("bench %v: no error", args)
		}
	}
}

func TestQuantiles(t *testing.T) {
	tests := []struct {
		vals        []float64
		median, p95 float64
	}{
		{[]float64{3}, 3, 3},
		{[]float64{4, 1, 3, 2}, 2.5, 4},
		{[]float64{5, 1, 4, 2, 3}, 3, 5},
	}
	for _, tt := range tests {
		if got := quantiles(tt.vals); got.Median != tt.median || got.P95 != tt.p95 {
			t.Errorf("quantiles(%v) = %+v, want %v %v", tt.vals, got, tt.median, tt.p95)
		}
	}
	s := summarize([]benchModel{
		{FileBytes: 6e6, LoadMS: benchPaths{benchStat{Median: 100}, benchStat{Median: 10}}},
		{FileBytes: 9e6, LoadMS: benchPaths{benchStat{Median: 100}, benchStat{Median: 50}}},
		{FileBytes: 7e6, LoadMS: benchPaths{benchStat{Median: 90}, benchStat{Median: 3}}},
		{FileBytes: 1e6, LoadMS: benchPaths{benchStat{Median: 100}, benchStat{Median: 1}}},
	})
	if s.Models5MB != 3 || s.FastSpeedup5MB != 10 {
		t.Errorf("summary %+v, want 3 models, median ratio 10", s)
	}
}
