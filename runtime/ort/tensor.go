package ort

import (
	"fmt"
	"unsafe"

	onnx "github.com/yalue/onnxruntime_go"

	"github.com/edgeserve/edgeserve/runtime"
)

// newValue wraps a validated tensor's bytes, without copying, in an ONNX
// Runtime value. The caller destroys it after the run.
func newValue(t runtime.Tensor) (onnx.Value, error) {
	if len(t.Shape) == 0 {
		return nil, fmt.Errorf("%w: ort: input %q: scalar (rank 0) tensors are not supported", runtime.ErrInvalidInput, t.Name)
	}
	v, err := onnx.NewCustomDataTensor(onnx.NewShape(t.Shape...), t.Data, onnx.TensorElementDataType(t.Type))
	if err != nil {
		return nil, fmt.Errorf("%w: ort: input %q: %v", runtime.ErrInvalidInput, t.Name, err)
	}
	return v, nil
}

// newOutput preallocates an output the binding cannot allocate itself: it
// copies auto-allocated tensors of 2-byte types it has no Go type for with
// the element count as the byte count, so FP16 and BF16 outputs are sized
// here, from the signature and the inputs' actual dimensions. It returns nil
// (let ONNX Runtime allocate) for every other output.
func newOutput(spec runtime.TensorSpec, shape []int64) (onnx.Value, error) {
	if spec.Type != runtime.Float16 && spec.Type != runtime.BFloat16 {
		return nil, nil
	}
	n, ok := runtime.ByteSize(spec.Type, shape)
	if shape == nil || !ok || n == 0 {
		return nil, fmt.Errorf("ort: output %q (%s) has a shape %v that cannot be known before the run; FP16/BF16 outputs need static or input-bound dimensions", spec.Name, spec.Type, spec.Shape)
	}
	v, err := onnx.NewCustomDataTensor(onnx.NewShape(shape...), make([]byte, n), onnx.TensorElementDataType(spec.Type))
	if err != nil {
		return nil, fmt.Errorf("ort: output %q: %w", spec.Name, err) // never a typed nil in the interface
	}
	return v, nil
}

// toTensor converts an output value to a runtime.Tensor. The data is the
// Go memory the binding copied the output into, so it stays valid after the
// value is destroyed.
func toTensor(name string, v onnx.Value) (runtime.Tensor, error) {
	data, err := valueBytes(v)
	if err != nil {
		return runtime.Tensor{}, fmt.Errorf("ort: output %q: %w", name, err)
	}
	return runtime.Tensor{
		Name:  name,
		Type:  runtime.DataType(v.DataType()),
		Shape: []int64(v.GetShape().Clone()),
		Data:  data,
	}, nil
}

func valueBytes(v onnx.Value) ([]byte, error) {
	switch t := v.(type) {
	case *onnx.CustomDataTensor:
		return t.GetData(), nil
	case *onnx.Tensor[float32]:
		return asBytes(t.GetData()), nil
	case *onnx.Tensor[float64]:
		return asBytes(t.GetData()), nil
	case *onnx.Tensor[int8]:
		return asBytes(t.GetData()), nil
	case *onnx.Tensor[int16]:
		return asBytes(t.GetData()), nil
	case *onnx.Tensor[int32]:
		return asBytes(t.GetData()), nil
	case *onnx.Tensor[int64]:
		return asBytes(t.GetData()), nil
	case *onnx.Tensor[uint8]:
		return asBytes(t.GetData()), nil
	case *onnx.Tensor[uint16]:
		return asBytes(t.GetData()), nil
	case *onnx.Tensor[uint32]:
		return asBytes(t.GetData()), nil
	case *onnx.Tensor[uint64]:
		return asBytes(t.GetData()), nil
	case *onnx.Tensor[bool]:
		return asBytes(t.GetData()), nil
	}
	return nil, fmt.Errorf("unsupported output value %T", v)
}

// asBytes reinterprets a slice of fixed-size elements as its little-endian
// bytes (every platform ONNX Runtime ships for is little-endian).
func asBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(zero)))
}

// maxWarmUpBytes bounds the warm-up run's inputs (256 MiB in all): a model
// whose smallest inputs are larger is treated as invalid rather than allowed
// to exhaust memory.
const maxWarmUpBytes = 256 << 20

// zeroInputs builds all-zero inputs for the signature, with every dynamic
// dimension set to 1: the warm-up run's inputs.
func zeroInputs(specs []runtime.TensorSpec) ([]runtime.Tensor, error) {
	ins := make([]runtime.Tensor, len(specs))
	var total int64
	for i, s := range specs {
		shape := make([]int64, len(s.Shape))
		for j, d := range s.Shape {
			shape[j] = max(d, 1)
		}
		n, ok := runtime.ByteSize(s.Type, shape)
		if total += n; !ok || total > maxWarmUpBytes {
			return nil, fmt.Errorf("%w: ort: inputs of shape %v are larger than %d MiB", runtime.ErrInvalidModel, s.Shape, maxWarmUpBytes>>20)
		}
		ins[i] = runtime.Tensor{Name: s.Name, Type: s.Type, Shape: shape, Data: make([]byte, n)}
	}
	return ins, nil
}
