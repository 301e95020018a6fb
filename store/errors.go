package store

import (
	"errors"
	"fmt"
)

// Errors callers branch on (errors.Is). Every error the package returns wraps
// one of these where one applies.
var (
	// ErrNotFound: no such model, version, blob or artifact.
	ErrNotFound = errors.New("store: not found")
	// ErrInvalidName: a model name, version, label or runtime key is malformed.
	ErrInvalidName = errors.New("store: invalid name")
	// ErrInvalidMeta: model metadata is malformed (accuracy, task, signature...).
	ErrInvalidMeta = errors.New("store: invalid metadata")
	// ErrExists: the model version is already in the catalog with other bytes.
	ErrExists = errors.New("store: model version exists")
	// ErrNotONNX: the bytes are not plausibly an ONNX model.
	ErrNotONNX = errors.New("store: not an onnx model")
	// ErrExternalData: the ONNX model keeps tensor data in files outside
	// itself (external data), which could reach another model's bytes.
	ErrExternalData = errors.New("store: onnx model references external data")
	// ErrDigestMismatch: the bytes do not hash to the expected digest.
	ErrDigestMismatch = errors.New("store: digest mismatch")
	// ErrSizeMismatch: the stream ended before or after the declared size.
	ErrSizeMismatch = errors.New("store: size mismatch")
	// ErrTooLarge: the model exceeds Config.MaxModelBytes.
	ErrTooLarge = errors.New("store: model too large")
	// ErrQuotaExceeded: storing the model would exceed Config.QuotaBytes.
	ErrQuotaExceeded = errors.New("store: disk quota exceeded")
	// ErrDiskFull: the file system's free space would fall below
	// Config.ReserveBytes.
	ErrDiskFull = errors.New("store: file system free space below reserve")
	// ErrCorrupt: a stored blob failed verification; it was quarantined.
	ErrCorrupt = errors.New("store: blob corrupt")
	// ErrSchemaVersion: a catalog record was written by a newer EdgeServe.
	ErrSchemaVersion = errors.New("store: unsupported record schema version")
	// ErrInvalidTritonConfig: a Triton config.pbtxt does not parse or map.
	ErrInvalidTritonConfig = errors.New("store: invalid triton config")
	// ErrClosed: the store is closed.
	ErrClosed = errors.New("store: closed")
)

// DigestMismatchError says which digest was expected and which arrived.
type DigestMismatchError struct {
	Want, Got Digest
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("store: digest mismatch: want %s, got %s", e.Want, e.Got)
}

// Unwrap makes errors.Is(err, ErrDigestMismatch) true.
func (e *DigestMismatchError) Unwrap() error { return ErrDigestMismatch }
