package zoo

import "github.com/edgeserve/edgeserve/runtime/onnxpb"

// Image classifiers share their interface: input "input" float32
// [batch, 3, size, size] and output "probs" float32 [batch, 1000].
const (
	classes     = 1000
	inputName   = "input"
	outputName  = "probs"
	batchParam  = "batch"
	defaultSize = 224
)

// imageInput declares the classifier input of the given spatial size.
func (g *graph) imageInput(size int64) value {
	return g.input(inputName, onnxpb.TensorProto_FLOAT, []int64{-1, 3, size, size}, batchParam)
}

// head ends a classifier: global average pooling, a fully connected layer
// to the 1000 ImageNet classes and Softmax, declared as the output "probs".
func (g *graph) head(x value) {
	x = g.flatten(g.globalAvgPool(x), 1)
	g.probs(g.dense(x, classes, true))
}

// probs applies Softmax to logits and declares the result the output.
func (g *graph) probs(logits value) {
	g.output(g.softmax(logits), outputName, onnxpb.TensorProto_FLOAT, []int64{-1, classes}, batchParam)
}
