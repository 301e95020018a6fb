package store

import (
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// onnxCheck is a streaming, cheap plausibility check that bytes are an ONNX
// ModelProto: it walks the top-level protobuf fields as they go by (skipping
// field bodies without buffering them), checks the wire type of every field
// ModelProto defines, and at the end requires an ir_version, a graph, and
// that the stream ended on a field boundary (so a truncated file fails). The
// runtime does the real check at load.
type onnxCheck struct {
	hdr     []byte // bytes of the field header being read (tag + varint)
	skip    uint64 // body bytes of the current field still to pass
	offset  int64  // bytes seen
	sawIR   bool
	sawGrph bool
	err     error
}

// ModelProto's field numbers and their wire types (onnx.proto).
var onnxFieldTypes = map[protowire.Number]protowire.Type{
	1:  protowire.VarintType, // ir_version
	2:  protowire.BytesType,  // producer_name
	3:  protowire.BytesType,  // producer_version
	4:  protowire.BytesType,  // domain
	5:  protowire.VarintType, // model_version
	6:  protowire.BytesType,  // doc_string
	7:  protowire.BytesType,  // graph
	8:  protowire.BytesType,  // opset_import
	14: protowire.BytesType,  // metadata_props
	20: protowire.BytesType,  // training_info
	25: protowire.BytesType,  // functions
	26: protowire.BytesType,  // configuration
}

const maxFieldHeader = 2 * binaryMaxVarint

const binaryMaxVarint = 10

// Write consumes the next bytes of the model. It never fails the writer it
// is attached to; the verdict comes from Err.
func (c *onnxCheck) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && c.err == nil {
		if c.skip > 0 {
			k := min(c.skip, uint64(len(p)))
			c.skip -= k
			c.offset += int64(k)
			p = p[k:]
			continue
		}
		c.hdr = append(c.hdr, p[0])
		c.offset++
		p = p[1:]
		c.parseHeader()
	}
	return n, nil
}

// parseHeader tries to complete the field header in c.hdr.
func (c *onnxCheck) parseHeader() {
	num, typ, n := protowire.ConsumeTag(c.hdr)
	if n < 0 {
		c.headerError(n)
		return
	}
	rest := c.hdr[n:]
	if want, known := onnxFieldTypes[num]; known && want != typ {
		c.fail(fmt.Sprintf("field %d has wire type %d, ModelProto says %d", num, typ, want))
		return
	}
	switch typ {
	case protowire.VarintType:
		v, m := protowire.ConsumeVarint(rest)
		if m < 0 {
			c.headerError(m)
			return
		}
		if num == 1 {
			c.sawIR = v > 0
		}
	case protowire.Fixed32Type:
		c.skip = 4
	case protowire.Fixed64Type:
		c.skip = 8
	case protowire.BytesType:
		l, m := protowire.ConsumeVarint(rest)
		if m < 0 {
			c.headerError(m)
			return
		}
		c.skip = l
		c.sawGrph = c.sawGrph || (num == 7 && l > 0)
	default:
		c.fail(fmt.Sprintf("field %d uses group wire type %d, never used by ONNX", num, typ))
		return
	}
	c.hdr = c.hdr[:0]
}

func (c *onnxCheck) headerError(code int) {
	err := protowire.ParseError(code)
	if errors.Is(err, io.ErrUnexpectedEOF) && len(c.hdr) < maxFieldHeader {
		return // need more bytes
	}
	c.fail(err.Error())
}

func (c *onnxCheck) fail(why string) {
	c.err = fmt.Errorf("%w: at byte %d: %s", ErrNotONNX, c.offset, why)
}

// Err is the verdict once all bytes were written.
func (c *onnxCheck) Err() error {
	switch {
	case c.err != nil:
		return c.err
	case c.offset == 0:
		return fmt.Errorf("%w: empty", ErrNotONNX)
	case len(c.hdr) > 0 || c.skip > 0:
		return fmt.Errorf("%w: truncated: stream ends inside a field (%d bytes missing at least)", ErrNotONNX, c.skip)
	case !c.sawIR:
		return fmt.Errorf("%w: no ir_version", ErrNotONNX)
	case !c.sawGrph:
		return fmt.Errorf("%w: no graph", ErrNotONNX)
	}
	return nil
}

// CheckONNX reports whether b is plausibly a serialized ONNX ModelProto
// (see the streaming check import uses). It returns an ErrNotONNX error if
// not.
func CheckONNX(b []byte) error {
	var c onnxCheck
	_, _ = c.Write(b)
	return c.Err()
}
