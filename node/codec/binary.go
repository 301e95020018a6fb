package codec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/go-json-experiment/json/jsontext"
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
	return DecodeBinaryStream(bytes.NewReader(body), headerLen, Limits{MaxBytes: int64(len(body))})
}

// DecodeBinaryStream is DecodeBinaryRequest reading the body from r, of
// at most lim.MaxBytes bytes (0: unknown): each binary input's bytes are
// read straight into a buffer of their own.
func DecodeBinaryStream(r io.Reader, headerLen int64, lim Limits) (JSONRequest, []runtime.Tensor, error) {
	if headerLen < 0 || (lim.MaxBytes > 0 && headerLen > lim.MaxBytes) {
		return JSONRequest{}, nil, fmt.Errorf("%w: %s %d outside a %d-byte body", runtime.ErrInvalidInput, InferenceHeaderLength, headerLen, lim.MaxBytes)
	}
	head := &io.LimitedReader{R: r, N: headerLen}
	s := streamDecoder{dec: jsontext.NewDecoder(head), lim: lim}
	req, ins, err := s.request()
	if err == nil && head.N != 0 {
		err = fmt.Errorf("%w: body ends %d bytes before the %s %d", runtime.ErrInvalidInput, head.N, InferenceHeaderLength, headerLen)
	}
	if err != nil {
		return JSONRequest{}, nil, err
	}
	b := binaryReader{r: r, lim: lim, left: lim.MaxBytes - headerLen}
	ts := make([]runtime.Tensor, len(ins))
	for i, in := range ins {
		if ts[i], err = b.input(in); err != nil {
			return JSONRequest{}, nil, fmt.Errorf("input %q: %w", in.Name, err)
		}
	}
	if err := b.end(); err != nil {
		return JSONRequest{}, nil, err
	}
	return req, ts, nil
}

// binaryReader reads the binary inputs' bytes that follow the JSON part.
type binaryReader struct {
	r    io.Reader
	lim  Limits
	left int64 // bytes the body can still hold, when lim.MaxBytes is set
}

// input reads an input's bytes when it is binary, or decodes its JSON
// data otherwise.
func (b *binaryReader) input(in streamInput) (runtime.Tensor, error) {
	size, ok, err := binarySize(in.Parameters)
	if err != nil {
		return runtime.Tensor{}, err
	}
	if !ok {
		return in.finish(b.lim)
	}
	if in.decoded || len(in.Data) != 0 {
		return runtime.Tensor{}, fmt.Errorf("%w: both data and %s", runtime.ErrInvalidInput, binaryDataSize)
	}
	dt, err := ParseDataType(in.Datatype)
	if err != nil {
		return runtime.Tensor{}, err
	}
	want, err := byteSize(dt, in.Shape)
	if err != nil {
		return runtime.Tensor{}, err
	}
	data, err := b.read(size, want)
	if err != nil {
		return runtime.Tensor{}, fmt.Errorf("%w, shape %v of %s needs %d", err, in.Shape, in.Datatype, want)
	}
	return runtime.Tensor{Name: in.Name, Type: dt, Shape: in.Shape, Data: data}, nil
}

// read reads the size bytes of one input whose shape needs want.
func (b *binaryReader) read(size, want int64) ([]byte, error) {
	fail := func(left int64) error {
		return fmt.Errorf("%w: %s %d, %d bytes left", runtime.ErrInvalidInput, binaryDataSize, size, left)
	}
	if size != want || (b.lim.MaxBytes > 0 && size > b.left) {
		return nil, fail(b.left)
	}
	if b.lim.MaxBytes <= 0 { // unknown body size: grow as bytes arrive
		data, err := io.ReadAll(io.LimitReader(b.r, size))
		if err == nil && int64(len(data)) < size {
			err = fail(int64(len(data)))
		}
		return data, err
	}
	if err := b.lim.reserve(size); err != nil {
		return nil, err
	}
	data := make([]byte, size)
	n, err := io.ReadFull(b.r, data)
	b.left -= int64(n)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return nil, fail(int64(n))
	}
	if err != nil {
		return nil, bodyErr(err)
	}
	return data, nil
}

// end checks that every byte of the body belonged to an input.
func (b *binaryReader) end() error {
	n, err := io.Copy(io.Discard, b.r)
	if err != nil {
		return bodyErr(err)
	}
	if n != 0 {
		return fmt.Errorf("%w: %d bytes of binary data belong to no input", runtime.ErrInvalidInput, n)
	}
	return nil
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
