package ort

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/onnxpb"
)

// Test models, built with runtime/onnxpb so the tests need no downloads.

func valueInfo(name string, t runtime.DataType, dims ...any) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		switch v := d.(type) {
		case int:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(v)}
		case string:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(t), Shape: shape}}}}
}

func node(op string, ins, outs []string) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: op, Input: ins, Output: outs, Name: op + "_" + outs[0]}
}

func writeModel(t testing.TB, g *onnxpb.GraphProto) string {
	t.Helper()
	m := &onnxpb.ModelProto{IrVersion: 8, ProducerName: "edgeserve-test", Graph: g,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: 17}}}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), g.Name+".onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// addModel: sum = a + b, FP32, shape [batch, 3].
func addModel(t testing.TB) string {
	return writeModel(t, &onnxpb.GraphProto{
		Name:   "add",
		Node:   []*onnxpb.NodeProto{node("Add", []string{"a", "b"}, []string{"sum"})},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("a", runtime.Float32, "batch", 3), valueInfo("b", runtime.Float32, "batch", 3)},
		Output: []*onnxpb.ValueInfoProto{valueInfo("sum", runtime.Float32, "batch", 3)},
	})
}

// identityModel passes one tensor of type dt through.
func identityModel(t testing.TB, dt runtime.DataType) string {
	return writeModel(t, &onnxpb.GraphProto{
		Name:   "identity_" + dt.String(),
		Node:   []*onnxpb.NodeProto{node("Identity", []string{"x"}, []string{"y"})},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", dt, "n", 2)},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", dt, "n", 2)},
	})
}

// unsupportedOpModel uses an operator no ONNX Runtime has.
func unsupportedOpModel(t testing.TB) string {
	return writeModel(t, &onnxpb.GraphProto{
		Name:   "unsupported",
		Node:   []*onnxpb.NodeProto{node("NoSuchOperator", []string{"x"}, []string{"y"})},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", runtime.Float32, 1)},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", runtime.Float32, 1)},
	})
}

// mlpModel is a multi-layer perceptron with seeded random weights: layers
// Gemm+Relu of width x width, FP32 input [batch, width]. Its weights take
// layers*width*width*4 bytes.
func mlpModel(t testing.TB, width, layers int) string {
	rng := rand.New(rand.NewPCG(1, uint64(width*layers)))
	g := &onnxpb.GraphProto{Name: "mlp", Input: []*onnxpb.ValueInfoProto{valueInfo("x", runtime.Float32, "batch", width)}}
	prev := "x"
	for i := range layers {
		w, b, out := "w"+itoa(i), "b"+itoa(i), "h"+itoa(i)
		g.Initializer = append(g.Initializer, randomTensor(rng, w, width, width), randomTensor(rng, b, width))
		g.Node = append(g.Node, node("Gemm", []string{prev, w, b}, []string{out + "_pre"}), node("Relu", []string{out + "_pre"}, []string{out}))
		prev = out
	}
	g.Output = []*onnxpb.ValueInfoProto{valueInfo(prev, runtime.Float32, "batch", width)}
	return writeModel(t, g)
}

func randomTensor(rng *rand.Rand, name string, dims ...int) *onnxpb.TensorProto {
	n := 1
	t := &onnxpb.TensorProto{Name: name, DataType: int32(runtime.Float32)}
	for _, d := range dims {
		n *= d
		t.Dims = append(t.Dims, int64(d))
	}
	t.RawData = make([]byte, 4*n)
	scale := 1 / math.Sqrt(float64(dims[0]))
	for i := range n {
		binary.LittleEndian.PutUint32(t.RawData[4*i:], math.Float32bits(float32(rng.NormFloat64()*scale)))
	}
	return t
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

func float32Tensor(name string, shape []int64, vals ...float32) runtime.Tensor {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return runtime.Tensor{Name: name, Type: runtime.Float32, Shape: shape, Data: b}
}

func float32s(t testing.TB, x runtime.Tensor) []float32 {
	t.Helper()
	if x.Type != runtime.Float32 || len(x.Data)%4 != 0 {
		t.Fatalf("tensor %q: type %s, %d bytes", x.Name, x.Type, len(x.Data))
	}
	out := make([]float32, len(x.Data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(x.Data[4*i:]))
	}
	return out
}

// randomInput fills a tensor of spec's shape (dynamic dims 1) with seeded
// random floats.
func randomInput(spec runtime.TensorSpec, seed uint64) runtime.Tensor {
	rng := rand.New(rand.NewPCG(seed, 7))
	shape := make([]int64, len(spec.Shape))
	n := 1
	for i, d := range spec.Shape {
		shape[i] = max(d, 1)
		n *= int(shape[i])
	}
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = float32(rng.NormFloat64())
	}
	return float32Tensor(spec.Name, shape, vals...)
}
