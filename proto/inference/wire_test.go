package inferencepb

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// TestFieldNumbers pins the field numbers that existing Triton and KServe
// clients put on the wire (from the published grpc_service.proto and
// open_inference_grpc.proto). Changing one breaks every client.
func TestFieldNumbers(t *testing.T) {
	want := map[string]protowire.Number{
		"inference.ModelInferRequest.model_name":                            1,
		"inference.ModelInferRequest.model_version":                         2,
		"inference.ModelInferRequest.id":                                    3,
		"inference.ModelInferRequest.parameters":                            4,
		"inference.ModelInferRequest.inputs":                                5,
		"inference.ModelInferRequest.outputs":                               6,
		"inference.ModelInferRequest.raw_input_contents":                    7,
		"inference.ModelInferRequest.InferInputTensor.contents":             5,
		"inference.ModelInferRequest.InferRequestedOutputTensor.parameters": 2,
		"inference.ModelInferResponse.outputs":                              5,
		"inference.ModelInferResponse.raw_output_contents":                  6,
		"inference.InferParameter.bool_param":                               1,
		"inference.InferParameter.int64_param":                              2,
		"inference.InferParameter.string_param":                             3,
		"inference.InferParameter.double_param":                             4,
		"inference.InferParameter.uint64_param":                             5,
		"inference.InferTensorContents.bool_contents":                       1,
		"inference.InferTensorContents.int_contents":                        2,
		"inference.InferTensorContents.int64_contents":                      3,
		"inference.InferTensorContents.uint_contents":                       4,
		"inference.InferTensorContents.uint64_contents":                     5,
		"inference.InferTensorContents.fp32_contents":                       6,
		"inference.InferTensorContents.fp64_contents":                       7,
		"inference.InferTensorContents.bytes_contents":                      8,
		"inference.ModelMetadataResponse.inputs":                            4,
		"inference.ModelMetadataResponse.outputs":                           5,
		"inference.ModelStatistics.inference_stats":                         6,
		"inference.ModelStatistics.response_stats":                          9,
		"inference.InferStatistics.cache_miss":                              8,
		"inference.RepositoryIndexResponse.ModelIndex.reason":               4,
		"inference.RepositoryModelLoadRequest.parameters":                   3,
		"inference.ModelRepositoryParameter.bytes_param":                    4,
	}
	for path, num := range want {
		i := len(path) - 1
		for path[i] != '.' {
			i--
		}
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(path[:i]))
		if err != nil {
			t.Errorf("%s: %v", path[:i], err)
			continue
		}
		f := d.(protoreflect.MessageDescriptor).Fields().ByName(protoreflect.Name(path[i+1:]))
		if f == nil || f.Number() != num {
			t.Errorf("%s: field %v, want number %d", path, f, num)
		}
	}
}

// TestDecodesHandEncodedRequest decodes bytes laid out by hand with the
// protocol's field numbers, as a client generated elsewhere sends them.
func TestDecodesHandEncodedRequest(t *testing.T) {
	var input []byte
	input = protowire.AppendTag(input, 1, protowire.BytesType)
	input = protowire.AppendString(input, "a")
	input = protowire.AppendTag(input, 2, protowire.BytesType)
	input = protowire.AppendString(input, "FP32")
	input = protowire.AppendTag(input, 3, protowire.BytesType)
	input = protowire.AppendBytes(input, protowire.AppendVarint(protowire.AppendVarint(nil, 1), 2))
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, "adder")
	b = protowire.AppendTag(b, 5, protowire.BytesType)
	b = protowire.AppendBytes(b, input)
	b = protowire.AppendTag(b, 7, protowire.BytesType)
	b = protowire.AppendBytes(b, []byte{0, 0, 128, 63, 0, 0, 0, 64})
	var req ModelInferRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	in := req.GetInputs()
	if req.GetModelName() != "adder" || len(in) != 1 || in[0].GetName() != "a" || in[0].GetDatatype() != "FP32" ||
		len(in[0].GetShape()) != 2 || in[0].GetShape()[1] != 2 || len(req.GetRawInputContents()[0]) != 8 {
		t.Fatalf("decoded %v", &req)
	}
}
