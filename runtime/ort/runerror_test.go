package ort

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/onnxpb"
)

func int64Tensor(name string, shape []int64, vals ...int64) runtime.Tensor {
	b := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return runtime.Tensor{Name: name, Type: runtime.Int64, Shape: shape, Data: b}
}

// binaryModel is y = op(a, b) with the given input and output infos.
func binaryModel(t testing.TB, op string, a, b, y *onnxpb.ValueInfoProto, attrs ...*onnxpb.AttributeProto) string {
	n := node(op, []string{"a", "b"}, []string{"y"})
	n.Attribute = attrs
	return writeModel(t, &onnxpb.GraphProto{Name: strings.ToLower(op), Node: []*onnxpb.NodeProto{n},
		Input: []*onnxpb.ValueInfoProto{a, b}, Output: []*onnxpb.ValueInfoProto{y}})
}

// TestShapeErrorsAreInvalidInput: inputs that pass the signature check
// (every dimension dynamic) but that ONNX Runtime's kernels refuse are the
// client's mistake: the error wraps runtime.ErrInvalidInput, names the
// node, carries no ONNX Runtime source path, and the model still serves.
func TestShapeErrorsAreInvalidInput(t *testing.T) {
	l := newTestLoader(t, false)
	f, i64 := runtime.Float32, runtime.Int64
	axis0 := &onnxpb.AttributeProto{Name: "axis", Type: onnxpb.AttributeProto_INT, I: 0}
	tests := []struct {
		name     string
		path     string
		bad, ok  []runtime.Tensor
		mentions string
	}{
		{"broadcast", binaryModel(t, "Add", valueInfo("a", f, "b", "n"), valueInfo("b", f, "b", "n"), valueInfo("y", f, "b", "n")),
			[]runtime.Tensor{float32Tensor("a", []int64{1, 2}, 1, 2), float32Tensor("b", []int64{1, 3}, 1, 2, 3)},
			[]runtime.Tensor{float32Tensor("a", []int64{1, 2}, 1, 2), float32Tensor("b", []int64{1, 2}, 1, 2)}, "Add node"},
		{"matmul", binaryModel(t, "MatMul", valueInfo("a", f, "m", "k"), valueInfo("b", f, "k", "n"), valueInfo("y", f, "m", "n")),
			[]runtime.Tensor{float32Tensor("a", []int64{1, 2}, 1, 2), float32Tensor("b", []int64{3, 1}, 1, 2, 3)},
			[]runtime.Tensor{float32Tensor("a", []int64{1, 2}, 1, 2), float32Tensor("b", []int64{2, 1}, 1, 2)}, "MatMul node"},
		{"concat", binaryModel(t, "Concat", valueInfo("a", f, "m", "k"), valueInfo("b", f, "n", "k"), valueInfo("y", f, "p", "k"), axis0),
			[]runtime.Tensor{float32Tensor("a", []int64{1, 2}, 1, 2), float32Tensor("b", []int64{1, 3}, 1, 2, 3)},
			[]runtime.Tensor{float32Tensor("a", []int64{1, 2}, 1, 2), float32Tensor("b", []int64{1, 2}, 1, 2)}, "Concat node"},
		{"gather", binaryModel(t, "Gather", valueInfo("a", f, "m"), valueInfo("b", i64, "k"), valueInfo("y", f, "k")),
			[]runtime.Tensor{float32Tensor("a", []int64{3}, 1, 2, 3), int64Tensor("b", []int64{1}, 7)},
			[]runtime.Tensor{float32Tensor("a", []int64{3}, 1, 2, 3), int64Tensor("b", []int64{1}, 2)}, "Gather node"},
		{"expand", binaryModel(t, "Expand", valueInfo("a", f, "m"), valueInfo("b", i64, 1), valueInfo("y", f, "p")),
			[]runtime.Tensor{float32Tensor("a", []int64{3}, 1, 2, 3), int64Tensor("b", []int64{1}, 2)},
			[]runtime.Tensor{float32Tensor("a", []int64{3}, 1, 2, 3), int64Tensor("b", []int64{1}, 3)}, "Expand node"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustLoad(t, l, tt.path)
			_, err := m.Run(context.Background(), tt.bad)
			if !errors.Is(err, runtime.ErrInvalidInput) {
				t.Fatalf("error %v, want ErrInvalidInput", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.mentions) || strings.Contains(msg, "onnxruntime_src") || strings.Contains(msg, " was false") {
				t.Errorf("message %q: want it to name the %s, without ONNX Runtime's source", msg, tt.mentions)
			}
			if _, err := m.Run(context.Background(), tt.ok); err != nil {
				t.Fatalf("model unusable after bad input: %v", err)
			}
		})
	}
}

// TestRunErrorClassification: the messages ONNX Runtime gives, cleaned,
// and classified; a failure that does not name the inputs stays a server
// error.
func TestRunErrorClassification(t *testing.T) {
	tests := []struct {
		in, want string
		input    bool
	}{
		{"Error running network: Non-zero status code returned while running Add node. Name:'Add_y' Status Message: " +
			"/onnxruntime_src/onnxruntime/core/providers/cpu/math/element_wise_ops.h:563 void onnxruntime::BroadcastIterator::Init(ptrdiff_t, ptrdiff_t) " +
			"axis == 1 || axis == largest was false. Attempting to broadcast an axis by a dimension other than 1. 2 by 3",
			"Add node 'Add_y': Attempting to broadcast an axis by a dimension other than 1. 2 by 3", true},
		{"Error running network: Non-zero status code returned while running MatMul node. Name:'m' Status Message: matmul_helper.h:59 Compute MatMul dimension mismatch",
			"MatMul node 'm': MatMul dimension mismatch", true},
		{"Error running network: Got invalid dimensions for input: a for the following indices\n index: 1 Got: 2 Expected: 3",
			"Got invalid dimensions for input: a for the following indices\n index: 1 Got: 2 Expected: 3", true},
		{"Error running network: Non-zero status code returned while running Conv node. Name:'c' Status Message: Failed to allocate memory for requested buffer of size 1099511627776",
			"Conv node 'c': Failed to allocate memory for requested buffer of size 1099511627776", false},
		{"Error running network: Exiting due to terminate flag being set to true.", "Exiting due to terminate flag being set to true.", false},
	}
	for _, tt := range tests {
		e := newRunError(errors.New(tt.in))
		if e.msg != tt.want || errors.Is(e, runtime.ErrInvalidInput) != tt.input {
			t.Errorf("newRunError(%q) = %q, input %v; want %q, input %v", tt.in, e.msg, e.input, tt.want, tt.input)
		}
	}
}
