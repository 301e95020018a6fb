package codec

import (
	"bytes"
	"fmt"
	"math"

	"github.com/edgeserve/edgeserve/runtime"
)

// The binary tensor data extension of the HTTP protocol (Triton's
// "binary_tensor_data", the default of Triton's HTTP clients): the body is
// the JSON request, InferenceHeaderLength bytes long, followed by the raw
// bytes of every input whose parameters carry "binary_data_size", in input
// order. Outputs asked for with "binary_data": true (or every output, with
// the request parameter "binary_data_output": true) come back the same way.
const (
	// InferenceHeaderLength is the HTTP header giving the JSON part's length.
	InferenceHeaderLength = "Inference-Header-Content-Length"
	binaryDataSize        = "binary_data_size"
	binaryData            = "binary_data"
	binaryDataOutput      = "binary_data_output"
)

// DecodeBinaryRequest parses a body whose first headerLen bytes are the
// JSON request and whose rest is binary tensor data. Every binary byte must
// belong to an input, and every binary input must have exactly the bytes
// its shape and datatype need.
func DecodeBinaryRequest(body []byte, headerLen int64) (JSONRequest, []runtime.Tensor, error) {
	if headerLen < 0 || headerLen > int64(len(body)) {
		return JSONRequest{}, nil, fmt.Errorf("%w: %s %d outside a %d-byte body", runtime.ErrInvalidInput, InferenceHeaderLength, headerLen, len(body))
	}
	req, err := parseRequest(bytes.NewReader(body[:headerLen]))
	if err != nil {
		return JSONRequest{}, nil, err
	}
	rest := body[headerLen:]
	ts := make([]runtime.Tensor, len(req.Inputs))
	for i, in := range req.Inputs {
		if ts[i], rest, err = decodeBinaryInput(in, rest); err != nil {
			return JSONRequest{}, nil, fmt.Errorf("input %q: %w", in.Name, err)
		}
	}
	if len(rest) != 0 {
		return JSONRequest{}, nil, fmt.Errorf("%w: %d bytes of binary data belong to no input", runtime.ErrInvalidInput, len(rest))
	}
	return req, ts, nil
}

// decodeBinaryInput takes an input's bytes from the front of rest when it
// is binary, or decodes its JSON data otherwise.
func decodeBinaryInput(in JSONTensor, rest []byte) (runtime.Tensor, []byte, error) {
	size, ok, err := binarySize(in.Parameters)
	if err != nil || !ok {
		if err == nil {
			var t runtime.Tensor
			t, err = DecodeJSONTensor(in)
			return t, rest, err
		}
		return runtime.Tensor{}, nil, err
	}
	if len(in.Data) != 0 {
		return runtime.Tensor{}, nil, fmt.Errorf("%w: both data and %s", runtime.ErrInvalidInput, binaryDataSize)
	}
	dt, err := ParseDataType(in.Datatype)
	if err != nil {
		return runtime.Tensor{}, nil, err
	}
	want, err := byteSize(dt, in.Shape)
	if err != nil {
		return runtime.Tensor{}, nil, err
	}
	if size != want || size > int64(len(rest)) {
		return runtime.Tensor{}, nil, fmt.Errorf("%w: %s %d, shape %v of %s needs %d, %d bytes left",
			runtime.ErrInvalidInput, binaryDataSize, size, in.Shape, in.Datatype, want, len(rest))
	}
	return runtime.Tensor{Name: in.Name, Type: dt, Shape: in.Shape, Data: rest[:size]}, rest[size:], nil
}

// binarySize reads the binary_data_size parameter: a non-negative integer.
func binarySize(params map[string]any) (int64, bool, error) {
	v, ok := params[binaryDataSize]
	if !ok {
		return 0, false, nil
	}
	f, isNum := v.(float64)
	if !isNum || f < 0 || f != math.Trunc(f) || f > math.MaxInt32*float64(1<<16) {
		return 0, false, fmt.Errorf("%w: %s %v is not a byte count", runtime.ErrInvalidInput, binaryDataSize, v)
	}
	return int64(f), true, nil
}

// BinaryOutputs says which outputs the client wants as binary data: every
// output when the request says binary_data_output, else those whose
// requested parameters say binary_data.
func BinaryOutputs(req JSONRequest) func(name string) bool {
	all := req.Parameters[binaryDataOutput] == true
	some := map[string]bool{}
	for _, o := range req.Outputs {
		some[o.Name] = o.Parameters[binaryData] == true
	}
	return func(name string) bool { return all || some[name] }
}

// EncodeBinaryOutput is an output tensor whose bytes travel after the JSON
// part: its JSON form carries binary_data_size instead of data.
func EncodeBinaryOutput(t runtime.Tensor) JSONTensor {
	shape := t.Shape
	if shape == nil {
		shape = []int64{}
	}
	return JSONTensor{Name: t.Name, Shape: shape, Datatype: DataTypeName(t.Type),
		Parameters: map[string]any{binaryDataSize: len(t.Data)}}
}
