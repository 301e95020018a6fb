package zoo

import "github.com/edgeserve/edgeserve/runtime/onnxpb"

// datatypeCodes maps Open Inference Protocol datatype names to ONNX element
// types (the KServe v2 / Triton names).
func datatypeCodes() map[string]onnxpb.TensorProto_DataType {
	return map[string]onnxpb.TensorProto_DataType{
		"BOOL":   onnxpb.TensorProto_BOOL,
		"UINT8":  onnxpb.TensorProto_UINT8,
		"UINT16": onnxpb.TensorProto_UINT16,
		"UINT32": onnxpb.TensorProto_UINT32,
		"UINT64": onnxpb.TensorProto_UINT64,
		"INT8":   onnxpb.TensorProto_INT8,
		"INT16":  onnxpb.TensorProto_INT16,
		"INT32":  onnxpb.TensorProto_INT32,
		"INT64":  onnxpb.TensorProto_INT64,
		"FP16":   onnxpb.TensorProto_FLOAT16,
		"FP32":   onnxpb.TensorProto_FLOAT,
		"FP64":   onnxpb.TensorProto_DOUBLE,
		"BF16":   onnxpb.TensorProto_BFLOAT16,
		"BYTES":  onnxpb.TensorProto_STRING,
	}
}

// datatypeName is the Open Inference Protocol name of an ONNX element type.
func datatypeName(t onnxpb.TensorProto_DataType) string {
	for name, code := range datatypeCodes() {
		if code == t {
			return name
		}
	}
	return t.String()
}

// ioSpecs converts graph inputs or outputs to manifest entries; dynamic
// dimensions become -1.
func ioSpecs(vs []*onnxpb.ValueInfoProto) []IO {
	out := make([]IO, len(vs))
	for i, v := range vs {
		tt := v.GetType().GetTensorType()
		shape := make([]int64, len(tt.GetShape().GetDim()))
		for j, d := range tt.GetShape().GetDim() {
			shape[j] = -1
			if dv, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok {
				shape[j] = dv.DimValue
			}
		}
		out[i] = IO{Name: v.GetName(), Datatype: datatypeName(onnxpb.TensorProto_DataType(tt.GetElemType())), Shape: shape}
	}
	return out
}
