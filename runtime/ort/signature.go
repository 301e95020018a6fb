package ort

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/onnxpb"
)

// ONNX field numbers read by the signature scan.
const (
	fieldModelGraph       = 7
	fieldGraphInitializer = 5
	fieldGraphInput       = 11
	fieldGraphOutput      = 12
	fieldTensorName       = 8
)

// modelSignature is a model's signature plus the symbolic names of its
// dynamic dimensions ("" where a dimension has no name), which let Run size
// outputs whose dimensions follow an input's (a shared "batch" dimension).
type modelSignature struct {
	runtime.Signature
	inputDims  [][]string
	outputDims [][]string
}

// readSignature reads the inputs and outputs of the ONNX model at path.
// The binding only exposes a session's inputs and outputs by creating a
// second, temporary session, which would double the load time; so this scans
// the protobuf instead, memory-mapped, skipping the weights without reading
// them. Graph inputs that are also initializers are not inputs, as in ONNX
// Runtime. Errors wrap runtime.ErrInvalidModel.
func readSignature(path string) (modelSignature, error) {
	data, unmap, err := mapFile(path)
	if err != nil {
		return modelSignature{}, err
	}
	defer unmap()
	return parseSignature(data)
}

// ReadSignature reads the inputs and outputs the ONNX model at path
// declares, from its graph alone: no session is created and no ONNX Runtime
// library is needed, so a node can answer metadata without loading the
// model. Errors wrap runtime.ErrInvalidModel when the file is not a usable
// ONNX model.
func ReadSignature(path string) (runtime.Signature, error) {
	sig, err := readSignature(path)
	return sig.Signature, err
}

// mapFile memory-maps a file read-only.
func mapFile(path string) ([]byte, func(), error) { return mapFileFlags(path, 0) }

// mapFileFlags memory-maps a file read-only, shared, with extra mmap flags.
func mapFileFlags(path string, flags int) ([]byte, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("ort: open model: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("ort: stat model: %w", err)
	}
	if info.Size() == 0 {
		return nil, nil, fmt.Errorf("%w: ort: %s is empty", runtime.ErrInvalidModel, path)
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(info.Size()), unix.PROT_READ, unix.MAP_SHARED|flags)
	if err != nil {
		return nil, nil, fmt.Errorf("ort: map model: %w", err)
	}
	return data, func() { _ = unix.Munmap(data) }, nil
}

// parseSignature extracts the signature from a serialized ModelProto.
func parseSignature(model []byte) (modelSignature, error) {
	graph, err := lastField(model, fieldModelGraph)
	if err != nil {
		return modelSignature{}, err
	}
	if graph == nil {
		return modelSignature{}, fmt.Errorf("%w: ort: no graph in model", runtime.ErrInvalidModel)
	}
	var ins, outs []*onnxpb.ValueInfoProto
	inits := map[string]bool{}
	err = eachField(graph, func(num protowire.Number, b []byte) error {
		switch num {
		case fieldGraphInitializer:
			name, err := lastField(b, fieldTensorName)
			inits[string(name)] = true
			return err
		case fieldGraphInput, fieldGraphOutput:
			vi := &onnxpb.ValueInfoProto{}
			if err := proto.Unmarshal(b, vi); err != nil {
				return fmt.Errorf("%w: ort: graph input/output: %v", runtime.ErrInvalidModel, err)
			}
			if num == fieldGraphInput {
				ins = append(ins, vi)
			} else {
				outs = append(outs, vi)
			}
		}
		return nil
	})
	if err != nil {
		return modelSignature{}, err
	}
	return buildSignature(ins, outs, inits)
}

func buildSignature(ins, outs []*onnxpb.ValueInfoProto, inits map[string]bool) (modelSignature, error) {
	var sig modelSignature
	for _, vi := range ins {
		if inits[vi.GetName()] {
			continue
		}
		spec, dims, err := tensorSpec(vi)
		if err != nil {
			return modelSignature{}, err
		}
		if spec.Shape == nil {
			return modelSignature{}, fmt.Errorf("%w: ort: input %q has no shape", runtime.ErrInvalidModel, spec.Name)
		}
		sig.Inputs = append(sig.Inputs, spec)
		sig.inputDims = append(sig.inputDims, dims)
	}
	for _, vi := range outs {
		spec, dims, err := tensorSpec(vi)
		if err != nil {
			return modelSignature{}, err
		}
		sig.Outputs = append(sig.Outputs, spec)
		sig.outputDims = append(sig.outputDims, dims)
	}
	if len(sig.Outputs) == 0 {
		return modelSignature{}, fmt.Errorf("%w: ort: graph has no outputs", runtime.ErrInvalidModel)
	}
	return sig, nil
}

// tensorSpec converts one graph input or output. Shape is nil when the
// model does not declare one (unknown rank).
func tensorSpec(vi *onnxpb.ValueInfoProto) (runtime.TensorSpec, []string, error) {
	tt := vi.GetType().GetTensorType()
	if tt == nil {
		return runtime.TensorSpec{}, nil, fmt.Errorf("%w: ort: %q is not a tensor", runtime.ErrInvalidModel, vi.GetName())
	}
	spec := runtime.TensorSpec{Name: vi.GetName(), Type: runtime.DataType(tt.GetElemType())}
	if !spec.Type.Fixed() {
		return runtime.TensorSpec{}, nil, fmt.Errorf("%w: ort: %q has unsupported element type %s", runtime.ErrInvalidModel, spec.Name, spec.Type)
	}
	if tt.GetShape() == nil {
		return spec, nil, nil
	}
	spec.Shape = make([]int64, 0, len(tt.GetShape().GetDim()))
	var names []string
	for _, d := range tt.GetShape().GetDim() {
		size := int64(-1)
		if v, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok && v.DimValue >= 0 {
			size = v.DimValue
		}
		spec.Shape = append(spec.Shape, size)
		names = append(names, d.GetDimParam())
	}
	return spec, names, nil
}

// eachField calls fn with every length-delimited field of a message and
// skips the others. Errors wrap runtime.ErrInvalidModel.
func eachField(msg []byte, fn func(protowire.Number, []byte) error) error {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return fmt.Errorf("%w: ort: not an ONNX model: %v", runtime.ErrInvalidModel, protowire.ParseError(n))
		}
		msg = msg[n:]
		if typ == protowire.BytesType {
			b, m := protowire.ConsumeBytes(msg)
			if m < 0 {
				return fmt.Errorf("%w: ort: not an ONNX model (truncated?): %v", runtime.ErrInvalidModel, protowire.ParseError(m))
			}
			if err := fn(num, b); err != nil {
				return err
			}
			msg = msg[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, msg)
		if m < 0 {
			return fmt.Errorf("%w: ort: not an ONNX model (truncated?): %v", runtime.ErrInvalidModel, protowire.ParseError(m))
		}
		msg = msg[m:]
	}
	return nil
}

// lastField returns the last occurrence of a length-delimited field, or nil.
func lastField(msg []byte, want protowire.Number) ([]byte, error) {
	var found []byte
	err := eachField(msg, func(num protowire.Number, b []byte) error {
		if num == want {
			found = b
		}
		return nil
	})
	return found, err
}
