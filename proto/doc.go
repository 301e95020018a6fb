// Package proto holds EdgeServe's wire protocols: the Open Inference Protocol
// (package inference, Triton/KServe-compatible) in proto/inference and the
// administration API (edgeserve.admin.v1) in proto/admin/v1. The Go code is
// generated and committed; `make proto` regenerates it.
package proto
