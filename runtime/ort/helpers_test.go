package ort

import (
	"context"
	"os"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/edgeserve/edgeserve/runtime"
)

// testConfig is DefaultConfig with a temporary prepared directory. Tests
// fail, never skip, without the library: the backend is the product.
func testConfig(t testing.TB, fast bool) Config {
	t.Helper()
	if os.Getenv(LibraryEnv) == "" {
		t.Fatalf("%s is not set: run make setup (or make test, which exports it)", LibraryEnv)
	}
	cfg := DefaultConfig()
	cfg.FastLoad = fast
	cfg.PreparedDir = t.TempDir()
	return cfg
}

func newTestLoader(t testing.TB, fast bool) *Loader {
	t.Helper()
	l, err := New(testConfig(t, fast), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() }) // ONNX Runtime's messages must not reach a finished test's logger
	return l
}

func mustLoad(t testing.TB, l *Loader, path string) runtime.Model {
	t.Helper()
	m, err := l.Load(context.Background(), runtime.Source{Name: "test", Path: path})
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}
