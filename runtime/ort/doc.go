// Package ort is EdgeServe's ONNX Runtime backend: it loads ONNX models into
// ONNX Runtime sessions through cgo (github.com/yalue/onnxruntime_go, which
// dlopens the official shared library) and runs them.
//
// Loading a model the default way makes ONNX Runtime parse the protobuf,
// copy every weight, optimise the graph and prepack weights for the CPU's
// kernels; for a CNN that costs 1.7x to 5.5x a warm inference. The fast path
// moves all of that to Prepare, once per model, ONNX Runtime version and CPU:
// Prepare saves the fully optimised graph with every large initializer in
// one external data file. A prepared model loads with graph optimisation off
// and prepacking off, and ONNX Runtime memory-maps the weights file instead
// of copying it, so a load costs little more than reading the graph.
// ONNX Runtime 1.30 writes initializers larger than 1 MiB at page-aligned
// offsets and maps the whole file (smaller initializers share pages); that
// layout is kept as it is. Only a layout that fails the check in layout.go
// (another ONNX Runtime version) is rewritten with every initializer at an
// AlignBytes-aligned offset (align.go), which pads the file. Prepacking
// is off because prepacked weights are private copies of the weights; warm
// runs stay the same within measurement noise (compare BenchmarkRunDefault
// and BenchmarkRunFast). ArtifactKey names what a
// prepared form depends on, so a store can keep one per digest and key.
//
// The binding keeps one ONNX Runtime environment per process; this package
// wraps it in env.go, the package's one unavoidable global. It is created by
// the first Loader and lives until the process exits.
package ort
