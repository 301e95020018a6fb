// Package node is the composition root of an edgeserve-node: it opens the
// model store, builds the ONNX Runtime loader and the memory-budgeted model
// cache, and serves the Open Inference Protocol (gRPC and HTTP/JSON, wire-
// compatible with Triton and KServe clients), the admin API and Prometheus
// metrics.
//
// A request resolves its model in the store, acquires it from the cache
// (loading on a miss, bounded by the client's deadline), checks the inputs
// against the model's signature, runs it and releases it. Errors from every
// layer map to gRPC codes and HTTP statuses in one place (status.go).
// Shutdown drains: listeners close, in-flight requests finish, models are
// unloaded.
package node
