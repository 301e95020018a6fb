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
func EncodeJSONTensor(t runtime.Tensor) (JSONTensor, error) {
	vals, err := RawToValues(t)
	if err != nil {
		return JSONTensor{}, err
	}
	buf := make([]byte, 0, 2+len(vals)*8)
	buf = append(buf, '[')
	for i, v := range vals {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONValue(buf, t.Type, v)
	}
	buf = append(buf, ']')
	shape := t.Shape
	if shape == nil {
		shape = []int64{}
	}
	return JSONTensor{Name: t.Name, Shape: shape, Datatype: DataTypeName(t.Type), Data: buf}, nil
}

func appendJSONValue(buf []byte, dt runtime.DataType, v any) []byte {
	switch x := v.(type) {
	case bool:
		return strconv.AppendBool(buf, x)
	case int64:
		return strconv.AppendInt(buf, x, 10)
	case uint64:
		return strconv.AppendUint(buf, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(buf, "null"...)
		}
		bits := 32
		if dt == runtime.Float64 {
			bits = 64
		}
		return strconv.AppendFloat(buf, x, 'g', -1, bits)
	}
	return append(buf, "null"...)
}
