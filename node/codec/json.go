package codec

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/go-json-experiment/json/jsontext"
)

// JSONRequest is a KServe v2 HTTP/REST inference request body.
type JSONRequest struct {
	ID         string                `json:"id,omitempty"`
	Parameters map[string]any        `json:"parameters,omitempty"`
	Inputs     []JSONTensor          `json:"inputs"`
	Outputs    []JSONRequestedOutput `json:"outputs,omitempty"`
}

// JSONRequestedOutput names an output the client wants.
type JSONRequestedOutput struct {
	Name       string         `json:"name"`
	Parameters map[string]any `json:"parameters,omitempty"`
}

// JSONTensor is an input or output tensor: Data is a flat or nested JSON
// array of numbers (or booleans for BOOL) in row-major order.
type JSONTensor struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters map[string]any  `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// JSONResponse is a KServe v2 HTTP/REST inference response body.
type JSONResponse struct {
	ModelName    string         `json:"model_name"`
	ModelVersion string         `json:"model_version,omitempty"`
	ID           string         `json:"id,omitempty"`
	Parameters   map[string]any `json:"parameters,omitempty"`
	Outputs      []JSONTensor   `json:"outputs"`
}

// DecodeJSONRequest parses a request body and its tensors. Unknown fields
// are rejected so a misspelt "datatype" is an error, not a silent default.
func DecodeJSONRequest(r io.Reader) (JSONRequest, []runtime.Tensor, error) {
	return DecodeJSONRequestLimited(r, Limits{})
}

// DecodeJSONRequestLimited is DecodeJSONRequest within lim: it reads r as
// a stream, decoding each tensor's data into its typed buffer as it
// arrives, so that what it holds is the tensors, not the body.
func DecodeJSONRequestLimited(r io.Reader, lim Limits) (JSONRequest, []runtime.Tensor, error) {
	s := streamDecoder{dec: jsontext.NewDecoder(r), lim: lim}
	req, ins, err := s.request()
	if err != nil {
		return JSONRequest{}, nil, err
	}
	ts := make([]runtime.Tensor, len(ins))
	for i, in := range ins {
		if ts[i], err = in.finish(lim); err != nil {
			return JSONRequest{}, nil, fmt.Errorf("input %q: %w", in.Name, err)
		}
	}
	return req, ts, nil
}

// DecodeJSONTensor converts one JSON tensor into a runtime tensor.
func DecodeJSONTensor(in JSONTensor) (runtime.Tensor, error) {
	return decodeJSONTensor(in, Limits{MaxBytes: int64(len(in.Data))})
}

func decodeJSONTensor(in JSONTensor, lim Limits) (runtime.Tensor, error) {
	dt, err := ParseDataType(in.Datatype)
	if err != nil {
		return runtime.Tensor{}, err
	}
	n, err := NumElements(in.Shape)
	if err != nil {
		return runtime.Tensor{}, err
	}
	if len(in.Data) == 0 {
		return runtime.Tensor{}, fmt.Errorf("%w: missing data", runtime.ErrInvalidInput)
	}
	dec := jsontext.NewDecoder(bytes.NewReader(in.Data))
	data, err := readData(dec, dt, n, lim)
	if err != nil {
		return runtime.Tensor{}, err
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return runtime.Tensor{}, fmt.Errorf("%w: data: more after the array", runtime.ErrInvalidInput)
	}
	return runtime.Tensor{Name: in.Name, Type: dt, Shape: in.Shape, Data: data}, nil
}

// appendElem converts one JSON element, of kind k and literal text lit, to
// the element type's bytes.
func appendElem(out []byte, dt runtime.DataType, k jsontext.Kind, lit []byte) ([]byte, error) {
	if dt == runtime.Bool {
		switch k {
		case 't':
			return append(out, 1), nil
		case 'f':
			return append(out, 0), nil
		}
		return nil, fmt.Errorf("%w: BOOL element %s is not true or false", runtime.ErrInvalidInput, lit)
	}
	if k != '0' {
		return nil, fmt.Errorf("%w: %s element %s is not a number", runtime.ErrInvalidInput, DataTypeName(dt), lit)
	}
	out, err := appendNumber(out, dt, lit)
	if err != nil {
		return nil, fmt.Errorf("%w: %s element %s: %v", runtime.ErrInvalidInput, DataTypeName(dt), lit, err)
	}
	return out, nil
}

// appendNumber parses a JSON number literal as dt. The string conversions
// stay on the stack: strconv does not keep its argument.
func appendNumber(out []byte, dt runtime.DataType, lit []byte) ([]byte, error) {
	le := binary.LittleEndian
	bits := 8 * dt.ElementSize()
	switch dt {
	case runtime.Int8, runtime.Int16, runtime.Int32, runtime.Int64:
		v, err := strconv.ParseInt(string(lit), 10, bits)
		return appendUint(out, uint64(v), bits/8), err
	case runtime.Uint8, runtime.Uint16, runtime.Uint32, runtime.Uint64:
		v, err := strconv.ParseUint(string(lit), 10, bits)
		return appendUint(out, v, bits/8), err
	case runtime.Float64:
		f, err := strconv.ParseFloat(string(lit), 64)
		return le.AppendUint64(out, math.Float64bits(f)), err
	}
	f64, err := strconv.ParseFloat(string(lit), 32)
	f := float32(f64)
	switch dt {
	case runtime.Float16:
		return le.AppendUint16(out, Float32ToHalf(f)), err
	case runtime.BFloat16:
		return le.AppendUint16(out, Float32ToBFloat16(f)), err
	}
	return le.AppendUint32(out, math.Float32bits(f)), err
}

func appendUint(out []byte, v uint64, size int) []byte {
	for k := 0; k < size; k++ {
		out = append(out, byte(v>>(8*k)))
	}
	return out
}

// EncodeJSONTensor converts a runtime tensor to its JSON form with flat
// data. Non-finite floats, which JSON cannot carry, are written as null.
// Elements are written straight from the tensor's bytes.
func EncodeJSONTensor(t runtime.Tensor) (JSONTensor, error) {
	size := t.Type.ElementSize()
	if size == 0 || len(t.Data)%size != 0 {
		return JSONTensor{}, fmt.Errorf("%w: %d bytes of %s", runtime.ErrInvalidInput, len(t.Data), DataTypeName(t.Type))
	}
	buf := make([]byte, 0, 2+len(t.Data)/size*jsonElemWidth(t.Type))
	buf = append(buf, '[')
	for i := 0; i < len(t.Data); i += size {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONElem(buf, t.Type, t.Data[i:i+size])
	}
	buf = append(buf, ']')
	shape := t.Shape
	if shape == nil {
		shape = []int64{}
	}
	return JSONTensor{Name: t.Name, Shape: shape, Datatype: DataTypeName(t.Type), Data: buf}, nil
}

// jsonElemWidth is a usual width of one element of dt in JSON, comma
// included: wide enough that the buffer rarely grows (each growth copies
// it), narrow enough not to waste much.
func jsonElemWidth(dt runtime.DataType) int {
	switch dt {
	case runtime.Bool:
		return 6
	case runtime.Int8, runtime.Uint8:
		return 4
	case runtime.Int16, runtime.Uint16:
		return 6
	case runtime.Float16, runtime.BFloat16:
		return 8
	case runtime.Float32:
		return 12
	}
	return 20 // 32 and 64-bit integers, FP64: a bound, not the usual
}

// appendJSONElem writes one little-endian element of dt as JSON.
func appendJSONElem(buf []byte, dt runtime.DataType, b []byte) []byte {
	le := binary.LittleEndian
	switch dt {
	case runtime.Bool:
		return strconv.AppendBool(buf, b[0] != 0)
	case runtime.Int8:
		return strconv.AppendInt(buf, int64(int8(b[0])), 10)
	case runtime.Int16:
		return strconv.AppendInt(buf, int64(int16(le.Uint16(b))), 10)
	case runtime.Int32:
		return strconv.AppendInt(buf, int64(int32(le.Uint32(b))), 10)
	case runtime.Int64:
		return strconv.AppendInt(buf, int64(le.Uint64(b)), 10)
	case runtime.Uint8, runtime.Uint16, runtime.Uint32, runtime.Uint64:
		return strconv.AppendUint(buf, leUint(b), 10)
	case runtime.Float16:
		return appendJSONFloat(buf, float64(HalfToFloat32(le.Uint16(b))), 32)
	case runtime.BFloat16:
		return appendJSONFloat(buf, float64(BFloat16ToFloat32(le.Uint16(b))), 32)
	case runtime.Float32:
		return appendJSONFloat(buf, float64(math.Float32frombits(le.Uint32(b))), 32)
	case runtime.Float64:
		return appendJSONFloat(buf, math.Float64frombits(le.Uint64(b)), 64)
	}
	return append(buf, "null"...)
}

// leUint reads an unsigned little-endian integer of len(b) bytes.
func leUint(b []byte) uint64 {
	var v uint64
	for k := len(b) - 1; k >= 0; k-- {
		v = v<<8 | uint64(b[k])
	}
	return v
}

func appendJSONFloat(buf []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(buf, "null"...)
	}
	return strconv.AppendFloat(buf, f, 'g', -1, bits)
}
