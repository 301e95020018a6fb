// Package onnxpb holds Go types for the subset of the ONNX model format that
// EdgeServe builds and rewrites. onnx.pb.go is generated from onnx.proto by
// `make proto`; do not edit it by hand.
package onnxpb
