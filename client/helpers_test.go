package client_test

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/client"
	"github.com/edgeserve/edgeserve/runtime"
)

// dial makes a client of addrs and closes it at the end of the test.
func dial(t *testing.T, token string, addrs ...string) *client.Client {
	t.Helper()
	cfg := client.DefaultConfig()
	cfg.Addrs, cfg.AdminToken = addrs, token
	c, err := client.Dial(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fp32 is a float32 tensor.
func fp32(name string, shape []int64, vals ...float32) runtime.Tensor {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return runtime.Tensor{Name: name, Type: runtime.Float32, Shape: shape, Data: b}
}

func floats(t *testing.T, ts runtime.Tensor) []float32 {
	t.Helper()
	if ts.Type != runtime.Float32 || len(ts.Data)%4 != 0 {
		t.Fatalf("tensor %s is %v with %d bytes, want FP32", ts.Name, ts.Type, len(ts.Data))
	}
	out := make([]float32, len(ts.Data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(ts.Data[4*i:]))
	}
	return out
}
