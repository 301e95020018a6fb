package store

import (
	"errors"
	"fmt"
	"io"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// onnxCheck is a streaming, cheap check that bytes are a self-contained
// ONNX ModelProto. It walks the protobuf as it goes by, without buffering:
// it descends into the messages that can hold tensors (graphs, nodes,
// attributes, sparse tensors, functions, training graphs; onnxChildren) and
// skips every other field body, weights included. It checks the wire type
// of every top-level field ModelProto defines and of every field it
// descends into, that nested messages end inside their parents, and at the
// end requires an ir_version, a graph, and that the stream ended on a field
// boundary (so a truncated file fails). A tensor whose data lives outside
// the file (TensorProto.external_data, or data_location EXTERNAL) fails
// with ErrExternalData: a model is pushed as one file, so such a reference
// could only reach files that are not the model's (another blob in the
// store, or any file the node can read). The runtime does the full check
// at load.
type onnxCheck struct {
	hdr      []byte // bytes of the field header being read (tag + varint)
	skip     uint64 // body bytes of the current field still to pass
	offset   int64  // bytes seen
	frames   []frame
	sawIR    bool
	sawGrph  bool
	external int // tensors with external data
	err      error
}

// frame is one message being walked: its kind and the offset where it
// ends (-1 for the top-level ModelProto, which ends with the stream).
type frame struct {
	kind msgKind
	end  int64
}

// msgKind names the ONNX messages the check descends into.
type msgKind uint8

const (
	kindModel msgKind = iota
	kindGraph
	kindNode
	kindAttribute
	kindTensor
	kindSparseTensor
	kindTrainingInfo
	kindFunction
)

// onnxChildren maps, for each kind, the field numbers of the sub-messages
// that can hold tensors to their kind (onnx.proto).
var onnxChildren = [...]map[protowire.Number]msgKind{
	kindModel:        {7: kindGraph, 20: kindTrainingInfo, 25: kindFunction},
	kindGraph:        {1: kindNode, 5: kindTensor, 15: kindSparseTensor},
	kindNode:         {5: kindAttribute},
	kindAttribute:    {5: kindTensor, 6: kindGraph, 10: kindTensor, 11: kindGraph, 22: kindSparseTensor, 23: kindSparseTensor},
	kindTensor:       {},
	kindSparseTensor: {1: kindTensor, 2: kindTensor},
	kindTrainingInfo: {1: kindGraph, 2: kindGraph},
	kindFunction:     {7: kindNode, 11: kindAttribute},
}

// TensorProto fields that place a tensor's data outside the file.
const (
	fieldTensorExternalData = 13
	fieldTensorDataLocation = 14
	dataLocationExternal    = 1
)

// maxONNXDepth bounds message nesting (subgraphs of subgraphs), as
// protobuf decoders bound recursion.
const maxONNXDepth = 100

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
	if c.frames == nil {
		c.frames = []frame{{kind: kindModel, end: -1}}
	}
	for len(p) > 0 && c.err == nil {
		if c.skip > 0 {
			k := min(c.skip, uint64(len(p)))
			c.skip -= k
			c.offset += int64(k)
			p = p[k:]
		} else {
			c.hdr = append(c.hdr, p[0])
			c.offset++
			p = p[1:]
			c.parseHeader()
		}
		c.closeFrames()
	}
	return n, nil
}

// closeFrames leaves the messages that end at the current offset.
func (c *onnxCheck) closeFrames() {
	for c.err == nil && len(c.frames) > 1 && c.skip == 0 {
		top := c.frames[len(c.frames)-1]
		if c.offset < top.end {
			return
		}
		if c.offset > top.end || len(c.hdr) > 0 {
			c.fail("a field crosses the end of its enclosing message")
			return
		}
		c.frames = c.frames[:len(c.frames)-1]
	}
}

// parseHeader tries to complete the field header in c.hdr.
func (c *onnxCheck) parseHeader() {
	num, typ, n := protowire.ConsumeTag(c.hdr)
	if n < 0 {
		c.headerError(n)
		return
	}
	top := c.frames[len(c.frames)-1]
	child, descend := onnxChildren[top.kind][num]
	if err := c.checkWireType(top.kind, num, typ, descend); err != "" {
		c.fail(err)
		return
	}
	rest := c.hdr[n:]
	switch typ {
	case protowire.VarintType:
		v, m := protowire.ConsumeVarint(rest)
		if m < 0 {
			c.headerError(m)
			return
		}
		c.varint(top.kind, num, v)
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
		c.bytesField(top, num, l, child, descend)
	}
	c.hdr = c.hdr[:0]
	if top.end >= 0 && c.skip > uint64(max(top.end-c.offset, 0)) {
		c.fail(fmt.Sprintf("field %d runs past the end of its enclosing message", num))
	}
}

// checkWireType returns why a field's wire type is wrong, or "".
func (c *onnxCheck) checkWireType(k msgKind, num protowire.Number, typ protowire.Type, descend bool) string {
	switch {
	case typ == protowire.StartGroupType || typ == protowire.EndGroupType || typ > protowire.Fixed32Type:
		return fmt.Sprintf("field %d uses group wire type %d, never used by ONNX", num, typ)
	case k == kindModel && onnxFieldTypes[num] != typ && knownModelField(num):
		return fmt.Sprintf("field %d has wire type %d, ModelProto says %d", num, typ, onnxFieldTypes[num])
	case descend && typ != protowire.BytesType:
		return fmt.Sprintf("field %d has wire type %d where a message is expected", num, typ)
	case k == kindTensor && num == fieldTensorDataLocation && typ != protowire.VarintType:
		return fmt.Sprintf("tensor data_location has wire type %d", typ)
	}
	return ""
}

func knownModelField(num protowire.Number) bool {
	_, ok := onnxFieldTypes[num]
	return ok
}

// varint records the varint fields the check cares about.
func (c *onnxCheck) varint(k msgKind, num protowire.Number, v uint64) {
	switch {
	case k == kindModel && num == 1:
		c.sawIR = v > 0
	case k == kindTensor && num == fieldTensorDataLocation && v == dataLocationExternal:
		c.external++
	}
}

// bytesField descends into a message that can hold tensors, or skips the
// field's body.
func (c *onnxCheck) bytesField(top frame, num protowire.Number, l uint64, child msgKind, descend bool) {
	if top.kind == kindModel && num == 7 {
		c.sawGrph = c.sawGrph || l > 0
	}
	if top.kind == kindTensor && num == fieldTensorExternalData {
		c.external++
	}
	if top.end >= 0 && l > uint64(top.end-c.offset) {
		c.fail(fmt.Sprintf("field %d runs past the end of its enclosing message", num))
		return
	}
	if !descend || l == 0 {
		c.skip = l
		return
	}
	if l > uint64(math.MaxInt64-c.offset) {
		c.fail(fmt.Sprintf("field %d claims %d bytes", num, l))
		return
	}
	if len(c.frames) >= maxONNXDepth {
		c.fail(fmt.Sprintf("messages nested deeper than %d", maxONNXDepth))
		return
	}
	c.frames = append(c.frames, frame{kind: child, end: c.offset + int64(l)})
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
	case len(c.hdr) > 0 || c.skip > 0 || len(c.frames) > 1:
		return fmt.Errorf("%w: truncated: stream ends inside a field (%d bytes missing at least)", ErrNotONNX, c.skip)
	case !c.sawIR:
		return fmt.Errorf("%w: no ir_version", ErrNotONNX)
	case !c.sawGrph:
		return fmt.Errorf("%w: no graph", ErrNotONNX)
	case c.external > 0:
		return fmt.Errorf("%w: %d tensors keep their data in files outside the model; a model must be one self-contained file", ErrExternalData, c.external)
	}
	return nil
}

// CheckONNX reports whether b is plausibly a serialized, self-contained
// ONNX ModelProto (see the streaming check import uses). It returns an
// ErrNotONNX or ErrExternalData error if not.
func CheckONNX(b []byte) error {
	var c onnxCheck
	_, _ = c.Write(b)
	return c.Err()
}
