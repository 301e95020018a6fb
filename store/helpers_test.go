package store

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/edgeserve/edgeserve/runtime/onnxpb"
)

// Test models are real ONNX files built with the project's ONNX types
// (runtime/onnxpb, a test-only dependency): y = x · W with W a seeded random
// k×1 float matrix, so bigger k means a bigger model.
func onnxModel(t testing.TB, seed uint64, k int) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	raw := make([]byte, 4*k)
	for i := 0; i < k; i++ {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(rng.Float32()))
	}
	m := &onnxpb.ModelProto{
		IrVersion:    8,
		ProducerName: "edgeserve-store-test",
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Version: 17}},
		Graph: &onnxpb.GraphProto{
			Name: "matmul",
			Node: []*onnxpb.NodeProto{{OpType: "MatMul", Input: []string{"x", "W"}, Output: []string{"y"}}},
			Initializer: []*onnxpb.TensorProto{{
				Name: "W", Dims: []int64{int64(k), 1}, DataType: int32(onnxpb.TensorProto_FLOAT), RawData: raw,
			}},
			Input:  []*onnxpb.ValueInfoProto{valueInfo("x", 1, int64(k))},
			Output: []*onnxpb.ValueInfoProto{valueInfo("y", 1, 1)},
		},
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func valueInfo(name string, dims ...int64) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{
			Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d},
		})
	}
	return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: int32(onnxpb.TensorProto_FLOAT), Shape: shape,
		}},
	}}
}

// testConfig is a config for a store in a fresh temp dir with no file
// system reserve (CI disks may be small).
func testConfig(t testing.TB) Config {
	t.Helper()
	cfg := DefaultConfig(t.TempDir())
	cfg.ReserveBytes = 0
	return cfg
}

func openStore(t testing.TB, cfg Config, deps Deps) *Store {
	t.Helper()
	s, _, err := Open(context.Background(), cfg, deps)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newTestStore(t testing.TB) *Store {
	t.Helper()
	return openStore(t, testConfig(t), Deps{})
}

// dirFiles lists the file names in one of the store's subdirectories.
func dirFiles(t testing.TB, s *Store, sub string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.Dir(), sub))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// assertNothingStored checks that no blob, temp file or record exists.
func assertNothingStored(t testing.TB, s *Store) {
	t.Helper()
	if f := dirFiles(t, s, dirBlobs); len(f) != 0 {
		t.Errorf("blobs left: %v", f)
	}
	if f := dirFiles(t, s, dirTmp); len(f) != 0 {
		t.Errorf("temp files left: %v", f)
	}
	recs, err := s.List(context.Background())
	if err != nil || len(recs) != 0 {
		t.Errorf("records: %v, %v", recs, err)
	}
	if used, inflight := s.Usage(); used != 0 || inflight != 0 {
		t.Errorf("usage: used %d in flight %d, want 0 0", used, inflight)
	}
}
