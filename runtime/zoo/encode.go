package zoo

import (
	"fmt"
	"io"

	"github.com/edgeserve/edgeserve/runtime/onnxpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Field numbers of onnx.proto that the streaming encoder writes by hand.
const (
	modelGraphField  = 7 // ModelProto.graph
	graphInitField   = 5 // GraphProto.initializer
	tensorRawField   = 9 // TensorProto.raw_data
	maxProtobufBytes = 1<<31 - 1
)

// encode writes g as an ONNX ModelProto to w without ever holding the
// weights in memory. Protobuf lets a message's fields come in any order, so
// the graph is written as its small part (nodes, inputs, outputs) followed by
// one initializer at a time, each tensor's raw_data streamed in chunks as it
// is drawn from the seeded generator. The result parses as the same
// ModelProto that proto.Marshal would produce for the materialised model.
func encode(w io.Writer, g *graph, seed uint64) error {
	head, err := proto.Marshal(modelHeader(g))
	if err != nil {
		return fmt.Errorf("zoo: encode %s header: %w", g.name, err)
	}
	body, err := proto.Marshal(graphBody(g))
	if err != nil {
		return fmt.Errorf("zoo: encode %s graph: %w", g.name, err)
	}
	metas := make([][]byte, len(g.inits))
	graphBytes := int64(len(body))
	for i, in := range g.inits {
		if metas[i], err = proto.Marshal(tensorMeta(in)); err != nil {
			return fmt.Errorf("zoo: encode %s tensor %s: %w", g.name, in.name, err)
		}
		graphBytes += fieldBytes(graphInitField, tensorBytes(metas[i], in))
	}
	if fieldBytes(modelGraphField, graphBytes)+int64(len(head)) > maxProtobufBytes {
		return fmt.Errorf("zoo: %s is over the 2 GiB protobuf limit", g.name)
	}
	ew := &errWriter{w: w}
	buf := make([]byte, 4*fillChunkElems)
	ew.write(head)
	ew.write(lengthPrefix(modelGraphField, graphBytes))
	ew.write(body)
	for i, in := range g.inits {
		if ew.err != nil {
			break
		}
		ew.write(lengthPrefix(graphInitField, tensorBytes(metas[i], in)))
		ew.write(metas[i])
		ew.write(lengthPrefix(tensorRawField, in.rawBytes()))
		ew.err = in.fill(seed, uint64(i), buf, ew.emit)
	}
	if ew.err != nil {
		return fmt.Errorf("zoo: write %s: %w", g.name, ew.err)
	}
	return nil
}

// modelHeader is the ModelProto without its graph.
func modelHeader(g *graph) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:       irVersion,
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: "", Version: opset}},
		ProducerName:    "edgeserve-zoo",
		ProducerVersion: Generator,
		DocString:       "EdgeServe zoo model with seeded random weights (not trained)",
	}
}

// graphBody is the GraphProto without its initializers.
func graphBody(g *graph) *onnxpb.GraphProto {
	return &onnxpb.GraphProto{
		Name:   g.name,
		Node:   g.nodes,
		Input:  g.inputs,
		Output: g.outputs,
	}
}

// tensorMeta is the TensorProto without raw_data.
func tensorMeta(in initializer) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{
		Name:     in.name,
		Dims:     in.dims,
		DataType: int32(in.dataType()),
	}
}

// tensorBytes is the encoded size of a TensorProto: its metadata plus the
// raw_data field.
func tensorBytes(meta []byte, in initializer) int64 {
	return int64(len(meta)) + fieldBytes(tensorRawField, in.rawBytes())
}

// fieldBytes is the encoded size of a length-delimited field of n bytes.
func fieldBytes(field protowire.Number, n int64) int64 {
	return int64(protowire.SizeTag(field)+protowire.SizeVarint(uint64(n))) + n
}

func lengthPrefix(field protowire.Number, n int64) []byte {
	b := protowire.AppendTag(nil, field, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n))
}

// errWriter remembers the first write error so the encoder reads linearly.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *errWriter) emit(b []byte) error {
	e.write(b)
	return e.err
}
