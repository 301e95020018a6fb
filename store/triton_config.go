package store

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/edgeserve/edgeserve/store/tritonpb"
)

// maxTritonConfigBytes bounds a config.pbtxt; real ones are a few KiB.
const maxTritonConfigBytes = 1 << 20

// ParseTritonConfig reads a Triton config.pbtxt (protobuf text format of
// inference.ModelConfig). Fields EdgeServe does not map are ignored, so a
// repository can be brought as it is.
func ParseTritonConfig(b []byte) (*tritonpb.ModelConfig, error) {
	if len(b) > maxTritonConfigBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidTritonConfig, len(b), maxTritonConfigBytes)
	}
	var cfg tritonpb.ModelConfig
	if err := (prototext.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidTritonConfig, err)
	}
	return &cfg, nil
}

// Triton platform and backend names of ONNX models.
const (
	tritonONNXPlatform = "onnxruntime_onnx"
	tritonONNXBackend  = "onnxruntime"
)

// tritonMeta maps what a Triton config says onto ModelMeta. name is the
// model's directory name, used when the config leaves name out.
func tritonMeta(cfg *tritonpb.ModelConfig, name string) (ModelMeta, error) {
	if cfg.GetName() != "" && cfg.GetName() != name {
		return ModelMeta{}, fmt.Errorf("%w: config name %q differs from directory %q", ErrInvalidTritonConfig, cfg.GetName(), name)
	}
	if !isTritonONNX(cfg) {
		return ModelMeta{}, fmt.Errorf("%w: platform %q backend %q: EdgeServe serves ONNX models only",
			ErrInvalidTritonConfig, cfg.GetPlatform(), cfg.GetBackend())
	}
	if cfg.GetMaxBatchSize() < 0 {
		return ModelMeta{}, fmt.Errorf("%w: max_batch_size %d", ErrInvalidTritonConfig, cfg.GetMaxBatchSize())
	}
	m := ModelMeta{Name: name, MaxBatchSize: int(cfg.GetMaxBatchSize()), Platform: PlatformONNXRuntime}
	batched := m.MaxBatchSize > 0
	for _, in := range cfg.GetInput() {
		t, err := tritonTensor(in.GetName(), in.GetDataType(), in.GetDims(), batched)
		if err != nil {
			return ModelMeta{}, err
		}
		m.Inputs = append(m.Inputs, t)
	}
	for _, out := range cfg.GetOutput() {
		t, err := tritonTensor(out.GetName(), out.GetDataType(), out.GetDims(), batched)
		if err != nil {
			return ModelMeta{}, err
		}
		m.Outputs = append(m.Outputs, t)
	}
	return m, nil
}

func isTritonONNX(cfg *tritonpb.ModelConfig) bool {
	p, b := cfg.GetPlatform(), cfg.GetBackend()
	return (p == "" || p == tritonONNXPlatform) && (b == "" || b == tritonONNXBackend)
}

// tritonTensor converts one input or output. Triton's dims leave out the
// batch dimension of a batching model; the record's shape is the model's
// real shape, so a dynamic batch dimension (-1) is put in front.
func tritonTensor(name string, dt tritonpb.DataType, dims []int64, batched bool) (TensorSpec, error) {
	if dt == tritonpb.DataType_TYPE_INVALID {
		return TensorSpec{}, fmt.Errorf("%w: tensor %q: data_type missing or TYPE_INVALID", ErrInvalidTritonConfig, name)
	}
	typ := strings.TrimPrefix(dt.String(), "TYPE_")
	if dt == tritonpb.DataType_TYPE_STRING {
		typ = "BYTES"
	}
	shape := make([]int64, 0, len(dims)+1)
	if batched {
		shape = append(shape, -1)
	}
	t := TensorSpec{Name: name, Datatype: typ, Shape: append(shape, dims...)}
	if err := validateSignature([]TensorSpec{t}); err != nil {
		return TensorSpec{}, fmt.Errorf("%w: %v", ErrInvalidTritonConfig, err)
	}
	return t, nil
}
