package ort

import "github.com/edgeserve/edgeserve/runtime/onnxpb"

// probeModel is the arena probe's graph: y = Identity(x), float32 [1].
func probeModel() *onnxpb.ModelProto {
	tensor := func(name string) *onnxpb.ValueInfoProto {
		return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
			TensorType: &onnxpb.TypeProto_Tensor{
				ElemType: int32(onnxpb.TensorProto_FLOAT),
				Shape:    &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 1}}}},
			},
		}}}
	}
	return &onnxpb.ModelProto{
		IrVersion:   8,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: 13}},
		Graph: &onnxpb.GraphProto{
			Name:   "edgeserve_arena_probe",
			Node:   []*onnxpb.NodeProto{{OpType: "Identity", Input: []string{"x"}, Output: []string{"y"}}},
			Input:  []*onnxpb.ValueInfoProto{tensor("x")},
			Output: []*onnxpb.ValueInfoProto{tensor("y")},
		},
	}
}
