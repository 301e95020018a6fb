// Package codec converts tensors between the Open Inference Protocol's wire
// forms (gRPC typed contents, gRPC raw bytes, KServe v2 JSON) and
// runtime.Tensor, and checks them against a model's signature. Everything it
// decodes comes from outside the process, so every decoder bounds its work by
// the input's size and returns an error wrapping runtime.ErrInvalidInput for
// anything malformed, never a panic.
package codec
