package zoo

import "github.com/edgeserve/edgeserve/runtime/onnxpb"

// Test models are tiny real graphs that let other packages exercise serving
// of every element type, a small float model and a load failure.

// elementwise builds out = op(a, b) for inputs a, b of element type t and shape
// [batch, n], both dimensions dynamic.
func elementwise(name, op string, t onnxpb.TensorProto_DataType) *graph {
	g := newGraph(name)
	shape := []int64{-1, -1}
	a := g.input("a", t, shape, batchParam, "n")
	b := g.input("b", t, shape, batchParam, "n")
	y := value{name: g.node(op, []string{a.name, b.name})}
	g.output(y, "out", t, shape, batchParam, "n")
	return g
}

// tinyMLP is float32 [batch, 16] -> Gemm(32) -> Relu -> Gemm(4) -> Softmax.
func tinyMLP() *graph {
	g := newGraph("tiny_mlp")
	x := g.input(inputName, onnxpb.TensorProto_FLOAT, []int64{-1, 16}, batchParam)
	x.ch = 16
	x = g.relu(g.dense(x, 32, false))
	y := g.softmax(g.dense(x, 4, true))
	g.output(y, outputName, onnxpb.TensorProto_FLOAT, []int64{-1, 4}, batchParam)
	return g
}

// unsupportedOp is a well-formed model whose only node uses an operator that
// no ONNX Runtime implements, so loading it must fail.
func unsupportedOp() *graph {
	g := newGraph("bad_unsupported_op")
	x := g.input("x", onnxpb.TensorProto_FLOAT, []int64{-1, 4}, batchParam)
	y := value{name: g.node("EdgeServeNoSuchOp", []string{x.name})}
	g.output(y, "y", onnxpb.TensorProto_FLOAT, []int64{-1, 4}, batchParam)
	return g
}
