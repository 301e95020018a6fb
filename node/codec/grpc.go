package codec

import (
	"encoding/binary"
	"fmt"
	"math"

	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
)

// DecodeInputs turns a ModelInferRequest's inputs into tensors. The data
// comes from raw_input_contents when present (one entry per input, the
// protocol's rule) and from each input's typed contents otherwise. Byte
// counts and element counts are checked against each declared shape.
func DecodeInputs(req *pb.ModelInferRequest) ([]runtime.Tensor, error) {
	raw := req.GetRawInputContents()
	if len(raw) > 0 && len(raw) != len(req.GetInputs()) {
		return nil, fmt.Errorf("%w: %d raw_input_contents for %d inputs", runtime.ErrInvalidInput, len(raw), len(req.GetInputs()))
	}
	out := make([]runtime.Tensor, len(req.GetInputs()))
	for i, in := range req.GetInputs() {
		t, err := decodeInput(in, raw, i)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

func decodeInput(in *pb.ModelInferRequest_InferInputTensor, raw [][]byte, i int) (runtime.Tensor, error) {
	dt, err := ParseDataType(in.GetDatatype())
	if err != nil {
		return runtime.Tensor{}, fmt.Errorf("input %q: %w", in.GetName(), err)
	}
	t := runtime.Tensor{Name: in.GetName(), Type: dt, Shape: in.GetShape()}
	want, err := byteSize(dt, t.Shape)
	if err != nil {
		return runtime.Tensor{}, fmt.Errorf("input %q: %w", in.GetName(), err)
	}
	if len(raw) > 0 {
		if in.GetContents() != nil && !contentsEmpty(in.GetContents()) {
			return runtime.Tensor{}, fmt.Errorf("%w: input %q has both raw and typed contents", runtime.ErrInvalidInput, t.Name)
		}
		t.Data = raw[i]
	} else {
		n := want / int64(dt.ElementSize())
		if t.Data, err = contentsToBytes(dt, in.GetContents(), n); err != nil {
			return runtime.Tensor{}, fmt.Errorf("input %q: %w", t.Name, err)
		}
	}
	if int64(len(t.Data)) != want {
		return runtime.Tensor{}, fmt.Errorf("%w: input %q has %d bytes, shape %v of %s needs %d",
			runtime.ErrInvalidInput, t.Name, len(t.Data), t.Shape, in.GetDatatype(), want)
	}
	return t, nil
}

func contentsEmpty(c *pb.InferTensorContents) bool {
	return len(c.BoolContents)+len(c.IntContents)+len(c.Int64Contents)+len(c.UintContents)+
		len(c.Uint64Contents)+len(c.Fp32Contents)+len(c.Fp64Contents)+len(c.BytesContents) == 0
}

// contentsToBytes packs the typed field matching dt into little-endian
// bytes, requiring exactly n elements and values that fit the type.
func contentsToBytes(dt runtime.DataType, c *pb.InferTensorContents, n int64) ([]byte, error) {
	count := func(got int) error {
		if int64(got) != n {
			return fmt.Errorf("%w: %d %s elements in contents, shape needs %d", runtime.ErrInvalidInput, got, DataTypeName(dt), n)
		}
		return nil
	}
	size := dt.ElementSize()
	switch dt {
	case runtime.Bool:
		if err := count(len(c.GetBoolContents())); err != nil {
			return nil, err
		}
		b := make([]byte, n)
		for i, v := range c.GetBoolContents() {
			if v {
				b[i] = 1
			}
		}
		return b, nil
	case runtime.Int8, runtime.Int16, runtime.Int32:
		v := c.GetIntContents()
		if err := count(len(v)); err != nil {
			return nil, err
		}
		return packInts(v, size, func(x int32) bool { return fitsSigned(int64(x), size) })
	case runtime.Uint8, runtime.Uint16, runtime.Uint32:
		v := c.GetUintContents()
		if err := count(len(v)); err != nil {
			return nil, err
		}
		return packInts(v, size, func(x uint32) bool { return uint64(x) < 1<<(8*size) })
	case runtime.Int64:
		if err := count(len(c.GetInt64Contents())); err != nil {
			return nil, err
		}
		return packInts(c.GetInt64Contents(), 8, func(int64) bool { return true })
	case runtime.Uint64:
		if err := count(len(c.GetUint64Contents())); err != nil {
			return nil, err
		}
		return packInts(c.GetUint64Contents(), 8, func(uint64) bool { return true })
	case runtime.Float32:
		if err := count(len(c.GetFp32Contents())); err != nil {
			return nil, err
		}
		b := make([]byte, 4*n)
		for i, v := range c.GetFp32Contents() {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b, nil
	case runtime.Float64:
		if err := count(len(c.GetFp64Contents())); err != nil {
			return nil, err
		}
		b := make([]byte, 8*n)
		for i, v := range c.GetFp64Contents() {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: %s has no typed contents field, send it in raw_input_contents", runtime.ErrInvalidInput, DataTypeName(dt))
}

func fitsSigned(x int64, size int) bool {
	lim := int64(1) << (8*size - 1)
	return x >= -lim && x < lim
}

type integer interface {
	~int32 | ~int64 | ~uint32 | ~uint64
}

// packInts stores each value in size little-endian bytes after checking it
// fits (an INT8 input given 300 is an error, not a silent wrap).
func packInts[T integer](v []T, size int, fits func(T) bool) ([]byte, error) {
	b := make([]byte, size*len(v))
	for i, x := range v {
		if !fits(x) {
			return nil, fmt.Errorf("%w: value %v out of range for a %d-byte integer", runtime.ErrInvalidInput, x, size)
		}
		u := uint64(x)
		for k := 0; k < size; k++ {
			b[i*size+k] = byte(u >> (8 * k))
		}
	}
	return b, nil
}

// EncodeOutputs fills resp with the tensors as raw_output_contents, the form
// Triton's clients read by default.
func EncodeOutputs(resp *pb.ModelInferResponse, outs []runtime.Tensor) {
	resp.Outputs = make([]*pb.ModelInferResponse_InferOutputTensor, len(outs))
	resp.RawOutputContents = make([][]byte, len(outs))
	for i, t := range outs {
		resp.Outputs[i] = &pb.ModelInferResponse_InferOutputTensor{Name: t.Name, Datatype: DataTypeName(t.Type), Shape: t.Shape}
		resp.RawOutputContents[i] = t.Data
	}
}

// RawToValues is the inverse of the typed-contents decoding, for clients
// (the CLI) that show outputs as numbers. It returns the elements as float64
// or int64/uint64/bool values in a slice of any.
func RawToValues(t runtime.Tensor) ([]any, error) {
	size := t.Type.ElementSize()
	if size == 0 || len(t.Data)%size != 0 {
		return nil, fmt.Errorf("%w: %d bytes of %s", runtime.ErrInvalidInput, len(t.Data), DataTypeName(t.Type))
	}
	vals := make([]any, len(t.Data)/size)
	for i := range vals {
		vals[i] = elemValue(t.Type, t.Data[i*size:(i+1)*size])
	}
	return vals, nil
}
