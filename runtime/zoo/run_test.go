package zoo

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

// TestClassifiersRun generates every classifier of the small set, and
// NASNet Mobile for the Pad, Slice and asymmetric padding only NASNet uses,
// loads each in ONNX Runtime and checks that a random image yields finite
// probabilities over 1000 classes. TestFullZooRuns covers the rest.
func TestClassifiersRun(t *testing.T) {
	needORT(t)
	dir := t.TempDir()
	names, err := Names(SetSmall)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append(names, "nasnet_mobile") {
		e, _ := lookup(name)
		if e.task != TaskImageClassification {
			continue
		}
		t.Run(name, func(t *testing.T) {
			m, err := Write(dir, name, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			checkClassifier(t, dir, m, 1)
		})
	}
}

// checkClassifier runs a batch of random images through a classifier and
// checks the output is [batch, 1000] finite probabilities summing to 1.
func checkClassifier(t *testing.T, dir string, m Manifest, batch int64) {
	t.Helper()
	s, err := session(t, dir, m)
	if err != nil {
		t.Fatalf("load %s: %v", m.Name, err)
	}
	defer s.Destroy()
	in := m.Inputs[0].Shape
	shape := []int64{batch, in[1], in[2], in[3]}
	img := randomFloats(rand.New(rand.NewPCG(7, 7)), elems(shape))
	out := decodeFloats(run(t, s, ort.TensorElementDataTypeFloat, shape, []int64{batch, classes}, ort.TensorElementDataTypeFloat, img))
	checkProbabilities(t, out, batch, classes)
	// Activations at unit scale give moderate logits; a saturated Softmax
	// (one class near 1) means they grew through the network.
	if top := slices.Max(out); top > 0.5 {
		t.Errorf("%s: top probability %v for a random image: activations are not at unit scale", m.Name, top)
	}
}

// checkProbabilities asserts each of the rows is a probability distribution.
func checkProbabilities(t *testing.T, p []float32, rows, cols int64) {
	t.Helper()
	if int64(len(p)) != rows*cols {
		t.Fatalf("got %d values, want %d×%d", len(p), rows, cols)
	}
	for r := range rows {
		var sum float64
		for _, v := range p[r*cols : (r+1)*cols] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v < 0 {
				t.Fatalf("row %d: value %v is not a probability", r, v)
			}
			sum += float64(v)
		}
		if math.Abs(sum-1) > 1e-3 {
			t.Fatalf("row %d sums to %v, want 1", r, sum)
		}
	}
}

// TestElementwiseModels checks that each add_*/and_bool model computes its
// operator for every element type on a dynamic [batch, n] shape.
func TestElementwiseModels(t *testing.T) {
	needORT(t)
	dir := t.TempDir()
	shape := []int64{2, 3}
	tests := []struct {
		name    string
		dt      ort.TensorElementDataType
		a, b    []byte
		want    []byte
		outSize int64
	}{
		{"add_fp32", ort.TensorElementDataTypeFloat,
			le(float32(1.5), float32(-2), float32(0), float32(1e6), float32(3.25), float32(-0.5)),
			le(float32(2.25), float32(2), float32(-7), float32(1), float32(0.75), float32(-0.25)),
			le(float32(3.75), float32(0), float32(-7), float32(1000001), float32(4), float32(-0.75)), 4},
		{"add_fp16", ort.TensorElementDataTypeFloat16,
			le(f16(1.5), f16(-2), f16(0), f16(1024), f16(3.25), f16(-0.5)),
			le(f16(2.25), f16(2), f16(-7), f16(1), f16(0.75), f16(-0.25)),
			le(f16(3.75), f16(0), f16(-7), f16(1025), f16(4), f16(-0.75)), 2},
		{"add_int64", ort.TensorElementDataTypeInt64,
			le(int64(1), int64(-5), int64(1<<40), int64(0), int64(7), int64(math.MaxInt64-1)),
			le(int64(2), int64(5), int64(1<<40), int64(-3), int64(-8), int64(1)),
			le(int64(3), int64(0), int64(1<<41), int64(-3), int64(-1), int64(math.MaxInt64)), 8},
		{"add_int32", ort.TensorElementDataTypeInt32,
			le(int32(1), int32(-5), int32(1<<20), int32(0), int32(7), int32(100)),
			le(int32(2), int32(5), int32(1<<20), int32(-3), int32(-8), int32(-200)),
			le(int32(3), int32(0), int32(1<<21), int32(-3), int32(-1), int32(-100)), 4},
		{"add_uint8", ort.TensorElementDataTypeUint8,
			[]byte{1, 2, 3, 100, 200, 255},
			[]byte{1, 0, 250, 100, 50, 1},
			[]byte{2, 2, 253, 200, 250, 0}, 1},
		{"and_bool", ort.TensorElementDataTypeBool,
			[]byte{1, 1, 0, 0, 1, 0},
			[]byte{1, 0, 1, 0, 1, 1},
			[]byte{1, 0, 0, 0, 1, 0}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Write(dir, tt.name, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			s, err := session(t, dir, m)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			defer s.Destroy()
			got := run(t, s, tt.dt, shape, shape, tt.dt, tt.a, tt.b)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("got % x, want % x", got, tt.want)
			}
		})
	}
}

// TestTinyMLP runs a batch of three through tiny_mlp.
func TestTinyMLP(t *testing.T) {
	needORT(t)
	dir := t.TempDir()
	m, err := Write(dir, "tiny_mlp", DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if m.FileBytes > 8<<10 {
		t.Errorf("tiny_mlp is %d bytes, want a few KB", m.FileBytes)
	}
	s, err := session(t, dir, m)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	x := randomFloats(rand.New(rand.NewPCG(1, 2)), 3*16)
	out := decodeFloats(run(t, s, ort.TensorElementDataTypeFloat, []int64{3, 16}, []int64{3, 4}, ort.TensorElementDataTypeFloat, x))
	checkProbabilities(t, out, 3, 4)
	if slices.Equal(out[0:4], out[4:8]) {
		t.Errorf("different inputs gave identical outputs %v", out[0:4])
	}
}

// TestUnsupportedOpFailsToLoad checks the load-error test model.
func TestUnsupportedOpFailsToLoad(t *testing.T) {
	needORT(t)
	dir := t.TempDir()
	m, err := Write(dir, "bad_unsupported_op", DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !m.ExpectLoadError {
		t.Errorf("manifest does not mark expect_load_error")
	}
	s, err := session(t, dir, m)
	if err == nil {
		s.Destroy()
		t.Fatal("bad_unsupported_op loaded, want an error")
	}
	if !bytes.Contains([]byte(err.Error()), []byte("EdgeServeNoSuchOp")) {
		t.Errorf("error %q does not name the operator", err)
	}
}

func randomFloats(r *rand.Rand, n int64) []byte {
	b := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(r.Float32()*2-1))
	}
	return b
}

func decodeFloats(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// le encodes values of one fixed-size type little-endian.
func le[T any](vs ...T) []byte {
	var buf bytes.Buffer
	for _, v := range vs {
		binary.Write(&buf, binary.LittleEndian, v)
	}
	return buf.Bytes()
}

// f16 converts a float32 that is exactly representable as a normal
// IEEE 754 half (or zero) to its bits.
func f16(v float32) uint16 {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	if b&0x7fffffff == 0 {
		return sign
	}
	exp := int((b>>23)&0xff) - 127 + 15
	return sign | uint16(exp)<<10 | uint16((b>>13)&0x3ff)
}
