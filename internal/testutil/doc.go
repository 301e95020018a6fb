// Package testutil is the one set of helpers that EdgeServe's tests share:
// polling for a condition with a deadline, and one rule for a missing ONNX
// Runtime library. It imports nothing of EdgeServe, so every package's
// tests can use it.
package testutil
