package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/go-json-experiment/json/jsontext"
)

// streamDecoder reads a KServe v2 request token by token (jsontext reads
// the body through a small window), so that a tensor's data goes straight
// from the body into its typed buffer: the body is never held whole.
type streamDecoder struct {
	dec *jsontext.Decoder
	lim Limits
}

// streamInput is one request input as read: its JSON fields, and its
// tensor when its data came after its datatype and shape and was decoded
// in place. Data written before them is kept raw and decoded at the end.
type streamInput struct {
	JSONTensor
	tensor  runtime.Tensor
	decoded bool
}

// bodyErr reports a syntax or read error of the body; read errors stay
// reachable with errors.As (an HTTP body over its limit, for one).
func bodyErr(err error) error {
	return fmt.Errorf("%w: request body: %w", runtime.ErrInvalidInput, err)
}

// request reads the request object and nothing after it.
func (s *streamDecoder) request() (JSONRequest, []streamInput, error) {
	var req JSONRequest
	var ins []streamInput
	err := s.object(func(key string) (err error) {
		switch key {
		case "id":
			return s.value(&req.ID)
		case "parameters":
			return s.value(&req.Parameters)
		case "outputs":
			return s.value(&req.Outputs)
		case "inputs":
			ins, err = s.inputs()
			return err
		}
		return fmt.Errorf("%w: request body: json: unknown field %q", runtime.ErrInvalidInput, key)
	})
	if err == nil {
		err = s.end()
	}
	for _, in := range ins {
		req.Inputs = append(req.Inputs, in.JSONTensor)
	}
	return req, ins, err
}

// object reads a JSON object, calling field for each member's name with
// the decoder positioned at the member's value.
func (s *streamDecoder) object(field func(key string) error) error {
	if err := s.open('{', "an object"); err != nil {
		return err
	}
	for s.dec.PeekKind() != '}' {
		tok, err := s.dec.ReadToken()
		if err != nil {
			return bodyErr(err)
		}
		if err := field(tok.String()); err != nil {
			return err
		}
	}
	_, err := s.dec.ReadToken()
	return bodyErrOrNil(err)
}

// open reads the opening delimiter of an object or array.
func (s *streamDecoder) open(delim jsontext.Kind, what string) error {
	tok, err := s.dec.ReadToken()
	if err != nil {
		return bodyErr(err)
	}
	if tok.Kind() != delim {
		return fmt.Errorf("%w: request body: %s where %s belongs", runtime.ErrInvalidInput, tok.Kind(), what)
	}
	return nil
}

func bodyErrOrNil(err error) error {
	if err != nil {
		return bodyErr(err)
	}
	return nil
}

// value decodes one small member value (names, parameters) into dst,
// refusing unknown fields as the request's own members are.
func (s *streamDecoder) value(dst any) error {
	v, err := s.dec.ReadValue()
	if err != nil {
		return bodyErr(err)
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("%w: request body: %v", runtime.ErrInvalidInput, err)
	}
	return nil
}

// end checks that nothing but white space follows the request object.
func (s *streamDecoder) end() error {
	_, err := s.dec.ReadToken()
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil && !isSyntax(err):
		return bodyErr(err)
	}
	return fmt.Errorf("%w: request body: data after the JSON object", runtime.ErrInvalidInput)
}

func isSyntax(err error) bool {
	var se *jsontext.SyntacticError
	return errors.As(err, &se)
}

// inputs reads the inputs array (null reads as none).
func (s *streamDecoder) inputs() ([]streamInput, error) {
	if s.dec.PeekKind() == 'n' {
		_, err := s.dec.ReadToken()
		return nil, bodyErrOrNil(err)
	}
	if err := s.open('[', "the inputs array"); err != nil {
		return nil, err
	}
	var ins []streamInput
	for s.dec.PeekKind() != ']' {
		in, err := s.input()
		if err != nil {
			return nil, inputErr(in, len(ins), err)
		}
		ins = append(ins, in)
	}
	_, err := s.dec.ReadToken()
	return ins, bodyErrOrNil(err)
}

func inputErr(in streamInput, i int, err error) error {
	if in.Name != "" {
		return fmt.Errorf("input %q: %w", in.Name, err)
	}
	return fmt.Errorf("input %d: %w", i, err)
}

// input reads one input tensor object. Its data is decoded in place when
// its datatype and shape came first, as clients write them.
func (s *streamDecoder) input() (streamInput, error) {
	var in streamInput
	shaped := false
	err := s.object(func(key string) (err error) {
		switch key {
		case "name":
			return s.value(&in.Name)
		case "datatype":
			return s.value(&in.Datatype)
		case "parameters":
			return s.value(&in.Parameters)
		case "shape":
			in.Shape, err = s.shape()
			shaped = true
			return err
		case "data":
			return s.data(&in, shaped)
		}
		return fmt.Errorf("%w: request body: json: unknown field %q", runtime.ErrInvalidInput, key)
	})
	return in, err
}

// shape reads a shape array. Dimensions are JSON numbers that denote
// integers in any spelling (2, 2.0, 2e0); their range is NumElements's
// to check.
func (s *streamDecoder) shape() ([]int64, error) {
	if s.dec.PeekKind() == 'n' {
		_, err := s.dec.ReadToken()
		return nil, bodyErrOrNil(err)
	}
	if err := s.open('[', "the shape array"); err != nil {
		return nil, err
	}
	shape := []int64{}
	for s.dec.PeekKind() != ']' {
		v, err := s.dec.ReadValue()
		if err != nil {
			return nil, bodyErr(err)
		}
		d, ok := wholeNumber(string(v))
		if v.Kind() != '0' || !ok {
			return nil, fmt.Errorf("%w: shape element %s is not an integer", runtime.ErrInvalidInput, v)
		}
		shape = append(shape, d)
	}
	_, err := s.dec.ReadToken()
	return shape, bodyErrOrNil(err)
}

// data decodes the data member in place when the tensor's type and size
// are known, and keeps a copy of it otherwise.
func (s *streamDecoder) data(in *streamInput, shaped bool) error {
	if !shaped || in.Datatype == "" {
		v, err := s.dec.ReadValue()
		if err != nil {
			return bodyErr(err)
		}
		if err := s.lim.reserve(int64(len(v))); err != nil {
			return err
		}
		in.Data = bytes.Clone(v)
		return nil
	}
	dt, err := ParseDataType(in.Datatype)
	if err != nil {
		return err
	}
	n, err := NumElements(in.Shape)
	if err != nil {
		return err
	}
	buf, err := readData(s.dec, dt, n, s.lim)
	if err != nil {
		return err
	}
	in.tensor = runtime.Tensor{Name: in.Name, Type: dt, Shape: in.Shape, Data: buf}
	in.decoded = true
	return nil
}

// finish returns the input's tensor, decoding data that was kept raw.
func (in streamInput) finish(lim Limits) (runtime.Tensor, error) {
	if in.decoded {
		in.tensor.Name = in.Name // the name may follow the data
		return in.tensor, nil
	}
	return decodeJSONTensor(in.JSONTensor, Limits{MaxBytes: int64(len(in.Data)), Reserve: lim.Reserve})
}
