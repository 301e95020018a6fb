package runtime

import "errors"

// Errors that callers branch on. Backends wrap them with %w and add detail;
// the serving layer maps them to gRPC codes and HTTP statuses in one place.
var (
	// ErrInvalidModel: the model file cannot be loaded (not ONNX, truncated,
	// an unsupported operator, an inconsistent graph). It is permanent:
	// loading the same file again fails the same way.
	ErrInvalidModel = errors.New("runtime: invalid model")
	// ErrInvalidInput: inputs do not match the model's signature (names,
	// element types, shapes, byte counts).
	ErrInvalidInput = errors.New("runtime: invalid input")
	// ErrUnavailable: the backend or an execution provider it needs is not
	// present on this machine (library, GPU, driver).
	ErrUnavailable = errors.New("runtime: unavailable")
	// ErrClosed: the model was closed.
	ErrClosed = errors.New("runtime: model closed")
)
