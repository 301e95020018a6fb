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
	req, err := parseRequest(r)
	if err != nil {
		return JSONRequest{}, nil, err
	}
	ts := make([]runtime.Tensor, len(req.Inputs))
	for i, in := range req.Inputs {
		t, err := DecodeJSONTensor(in)
		if err != nil {
			return JSONRequest{}, nil, fmt.Errorf("input %q: %w", in.Name, err)
		}
		ts[i] = t
	}
	return req, ts, nil
}

// parseRequest decodes the request object, and nothing after it.
func parseRequest(r io.Reader) (JSONRequest, error) {
	var req JSONRequest
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return JSONRequest{}, fmt.Errorf("%w: request body: %v", runtime.ErrInvalidInput, err)
	}
	if dec.More() {
		return JSONRequest{}, fmt.Errorf("%w: request body: data after the JSON object", runtime.ErrInvalidInput)
	}
	return req, nil
}

// DecodeJSONTensor converts one JSON tensor into a runtime tensor.
func DecodeJSONTensor(in JSONTensor) (runtime.Tensor, error) {
	dt, err := ParseDataType(in.Datatype)
	if err != nil {
		return runtime.Tensor{}, err
	}
	n, err := NumElements(in.Shape)
	if err != nil {
		return runtime.Tensor{}, err
	}
	data, err := decodeJSONData(dt, in.Data, n)
	if err != nil {
		return runtime.Tensor{}, err
	}
	return runtime.Tensor{Name: in.Name, Type: dt, Shape: in.Shape, Data: data}, nil
}

// decodeJSONData walks the (possibly nested) array token by token, packing
// each element. It stops at the first element beyond n, so its work is
// bounded by the shape as well as by the body size.
func decodeJSONData(dt runtime.DataType, raw json.RawMessage, n int64) ([]byte, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("%w: missing data", runtime.ErrInvalidInput)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	size := dt.ElementSize()
	out := make([]byte, 0, min(n, 1<<20)*int64(size))
	depth, count := 0, int64(0)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: data: %v", runtime.ErrInvalidInput, err)
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '[':
				depth++
			case ']':
				depth--
			default:
				return nil, fmt.Errorf("%w: data: objects are not tensor elements", runtime.ErrInvalidInput)
			}
			continue
		}
		if depth == 0 {
			return nil, fmt.Errorf("%w: data must be an array", runtime.ErrInvalidInput)
		}
		if count++; count > n {
			return nil, fmt.Errorf("%w: more than %d elements in data for shape", runtime.ErrInvalidInput, n)
		}
		if out, err = appendElem(out, dt, tok); err != nil {
			return nil, err
		}
	}
	if count != n {
		return nil, fmt.Errorf("%w: %d elements in data, shape needs %d", runtime.ErrInvalidInput, count, n)
	}
	return out, nil
}

// appendElem converts one JSON token to the element type's bytes.
func appendElem(out []byte, dt runtime.DataType, tok json.Token) ([]byte, error) {
	le := binary.LittleEndian
	if dt == runtime.Bool {
		b, ok := tok.(bool)
		if !ok {
			return nil, fmt.Errorf("%w: BOOL element %v is not true or false", runtime.ErrInvalidInput, tok)
		}
		if b {
			return append(out, 1), nil
		}
		return append(out, 0), nil
	}
	num, ok := tok.(json.Number)
	if !ok {
		return nil, fmt.Errorf("%w: %s element %v is not a number", runtime.ErrInvalidInput, DataTypeName(dt), tok)
	}
	s := string(num)
	bits := 8 * dt.ElementSize()
	switch dt {
	case runtime.Int8, runtime.Int16, runtime.Int32, runtime.Int64:
		v, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return nil, fmt.Errorf("%w: %s element %s: %v", runtime.ErrInvalidInput, DataTypeName(dt), s, err)
		}
		return appendUint(out, uint64(v), bits/8), nil
	case runtime.Uint8, runtime.Uint16, runtime.Uint32, runtime.Uint64:
		v, err := strconv.ParseUint(s, 10, bits)
		if err != nil {
			return nil, fmt.Errorf("%w: %s element %s: %v", runtime.ErrInvalidInput, DataTypeName(dt), s, err)
		}
		return appendUint(out, v, bits/8), nil
	}
	fbits := 32
	if dt == runtime.Float64 {
		fbits = 64
	}
	f, err := strconv.ParseFloat(s, fbits)
	if err != nil {
		return nil, fmt.Errorf("%w: %s element %s: %v", runtime.ErrInvalidInput, DataTypeName(dt), s, err)
	}
	switch dt {
	case runtime.Float16:
		return le.AppendUint16(out, Float32ToHalf(float32(f))), nil
	case runtime.BFloat16:
		return le.AppendUint16(out, Float32ToBFloat16(float32(f))), nil
	case runtime.Float32:
		return le.AppendUint32(out, math.Float32bits(float32(f))), nil
	}
	return le.AppendUint64(out, math.Float64bits(f)), nil
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
