// Package zoo generates EdgeServe's model zoo: real ONNX models of the
// architectures in the EdgeServe poster's Table I plus ResNet-50 and
// VGG-16, written by our own code with seeded random weights, never
// downloaded. The files have the real graphs and parameter counts, so their
// size, load time, memory and inference time are those of the published
// models; only the predictions are meaningless.
//
// Each model NAME is written as DIR/NAME.onnx (opset 17, IR version 8,
// float32 weights as little-endian raw_data) with a manifest DIR/NAME.json
// (see Manifest) that records the published accuracy of the trained
// architecture, the parameter count, the input and output signature in Open
// Inference Protocol terms and the seed. Weights are He-uniform for
// convolutions and hidden layers, LeCun-uniform for classifiers and biases;
// BatchNormalization has gamma 1 and beta 0, and as running mean and
// variance the moments its input would have for a unit-scale image,
// estimated while the graph is built (moments.go), so it normalises as a
// trained network's does. Activations stay at unit scale through residual
// sums and concatenations, and the Softmax output is a moderate
// probability distribution. Models are streamed to disk one tensor at a
// time (encode.go), so VGG-16's 553 MB take seconds and little memory.
//
// Sets: "test" holds tiny graphs for serving tests (Add of every element
// type, And of booleans, a small MLP, and a model whose operator does not
// exist, for load errors); "small" adds SqueezeNet 1.1 and MobileNetV1 0.25
// and 0.5; "full" adds MobileNetV1 0.75 and 1.0, DenseNet-121, NASNet-A
// Mobile and Large, InceptionV3, InceptionV4, Inception-ResNet-v2, ResNet-50
// and VGG-16.
//
// Parameter counts are computed from the graph (every initializer, the four
// BatchNormalization tensors included, as Keras counts) and match the
// published architectures exactly, up to documented differences: ONNX's
// BatchNormalization needs a scale that Keras's Inception models omit.
//
// The graphs follow Keras Applications (MobileNetV1, DenseNet-121,
// NASNet, InceptionV3, Inception-ResNet-v2), torchvision (SqueezeNet 1.1,
// ResNet-50, VGG-16) and TF-slim (InceptionV4); each file's comment names
// its differences, none of which changes a shape or a parameter count
// beyond the BatchNormalization scale noted above.
package zoo
