package ort

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
)

// TestPreparedLoadsORTFormat: Prepare saves the ORT format next to the
// prepared graph, a load of the prepared form runs from a mapping of that
// file and answers as the original model does, and a prepared form
// without it still loads, from its ONNX graph.
func TestPreparedLoadsORTFormat(t *testing.T) {
	l := newTestLoader(t, false)
	orig := zooModel(t, "mobilenet_v1_0.25")
	graph, err := l.Prepare(context.Background(), orig, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ortPath := ortFormatOf(graph)
	if ortPath == "" {
		t.Fatal("prepared form has no ORT format file")
	}
	want := mustLoad(t, l, orig) // the default load of the original
	in := []runtime.Tensor{randomInput(want.Signature().Inputs[0], 3)}
	wantOut, err := want.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	check := func(m *model, mapsORT bool) {
		t.Helper()
		if got := mapped(t, ortPath); got != mapsORT {
			t.Fatalf("ORT format file mapped: %v, want %v", got, mapsORT)
		}
		got, err := m.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, float32s(t, got[0]), float32s(t, wantOut[0]), 1e-4)
		m.Close()
		if mapped(t, ortPath) {
			t.Fatal("ORT format file still mapped after Close")
		}
	}
	check(mustLoadPrepared(t, l, graph), true)
	if err := os.Remove(ortPath); err != nil {
		t.Fatal(err)
	}
	check(mustLoadPrepared(t, l, graph), false)
}

// mapped reports whether the process maps the file at path.
func mapped(t *testing.T, path string) bool {
	t.Helper()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip("no /proc/self/maps")
	}
	abs, _ := filepath.Abs(path)
	return strings.Contains(string(maps), abs)
}
