// Package runtime runs inference. It defines the small vocabulary the rest of
// EdgeServe uses to load a model, run it and release it (Loader, Model,
// Signature, Tensor, Profile), independent of the backend. The ONNX Runtime
// backend (cgo) lives in runtime/ort; GPU discovery through NVML in
// runtime/nvml. Nothing in this package needs the native library.
package runtime

import (
	"context"
	"time"
)

// DataType is a tensor element type. The names follow the Open Inference
// Protocol's datatype strings; the values are ONNX's TensorProto.DataType
// numbers so conversion to and from model files is an identity.
type DataType int32

// Element types EdgeServe understands.
const (
	Invalid  DataType = 0
	Float32  DataType = 1
	Uint8    DataType = 2
	Int8     DataType = 3
	Uint16   DataType = 4
	Int16    DataType = 5
	Int32    DataType = 6
	Int64    DataType = 7
	String   DataType = 8
	Bool     DataType = 9
	Float16  DataType = 10
	Float64  DataType = 11
	Uint32   DataType = 12
	Uint64   DataType = 13
	BFloat16 DataType = 16
)

// TensorSpec describes one input or output of a model. A dimension of -1 is
// dynamic (any size, for example the batch dimension).
type TensorSpec struct {
	Name  string
	Type  DataType
	Shape []int64
}

// Signature is a model's inputs and outputs, in the model's order.
type Signature struct {
	Inputs  []TensorSpec
	Outputs []TensorSpec
}

// Tensor is a dense tensor. Data holds the elements in row-major order,
// little-endian, with no padding (Bool is one byte per element). String
// tensors are not supported by the backends yet.
type Tensor struct {
	Name  string
	Type  DataType
	Shape []int64
	Data  []byte
}

// Profile is what the runtime measured about a loaded model.
type Profile struct {
	// LoadTime is the wall time of the load (session creation).
	LoadTime time.Duration
	// FirstRun is the wall time of the first inference after load: the
	// backend's warm-up run, or, for a load with Source.SkipWarmUp, the
	// first request's own run (0 until it has run).
	FirstRun time.Duration
	// WarmRun is a moving estimate of the steady-state inference time (the
	// first run's time until a later run is observed).
	WarmRun time.Duration
	// MemoryBytes is the memory the loaded model holds that the node cannot
	// give back without closing it: what a cache charges against its budget.
	// For a backend that measures two tiers it equals AnonymousBytes.
	MemoryBytes int64
	// AnonymousBytes is the anonymous (heap, arena) resident memory the
	// model took across its load and first run, never the file size. Loads
	// or runs of other models at the same time add noise: see the backend's
	// notes.
	AnonymousBytes int64
	// MappedBytes is the file-backed memory the model maps (weights of a
	// prepared form, once touched): the page cache, a second tier the
	// kernel manages, drops under pressure and reads again on a later
	// touch. It is not charged.
	MappedBytes int64
	// Prepared is true when the model was loaded from its prepared
	// fast-loading form rather than from the original file.
	Prepared bool
	// PrepareTime is the wall time spent creating the prepared form during
	// this load (0 when it already existed). It is not part of LoadTime.
	PrepareTime time.Duration
}

// Model is a loaded model. Run is safe for concurrent use. Close releases
// the model's memory; no Run may be in progress or start afterwards.
type Model interface {
	Signature() Signature
	Run(ctx context.Context, inputs []Tensor) ([]Tensor, error)
	Profile() Profile
	Close() error
}

// Loader loads models.
type Loader interface {
	Load(ctx context.Context, src Source) (Model, error)
}

// Source says what to load: a model file on local disk and what identifies
// its content.
type Source struct {
	// Name identifies the model in errors and logs.
	Name string
	// Path is the ONNX model file. It is never modified.
	Path string
	// Digest is the content digest of the file (for example "sha256:..."),
	// optional. Backends that keep prepared forms key them by it; without it
	// they key by path, size and modification time.
	Digest string
	// PreparedDir, when set, is the folder where a backend that keeps
	// prepared forms keeps this model's, for this backend and machine (a
	// model store's artifact folder, which the store removes with the
	// model); empty leaves the choice to the backend's configuration.
	PreparedDir string
	// SkipWarmUp is set when a request waits for this load (a cache miss):
	// the backend then runs no warm-up inference, so that the request's own
	// run is the model's first and the request does not pay for two. Loads
	// nobody waits for (preloads, explicit loads) leave it false, and the
	// backend warms the model up before it serves.
	SkipWarmUp bool
}
