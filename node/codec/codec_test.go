package codec

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
)

func f32bytes(v ...float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func input(name, dt string, shape []int64, c *pb.InferTensorContents) *pb.ModelInferRequest_InferInputTensor {
	return &pb.ModelInferRequest_InferInputTensor{Name: name, Datatype: dt, Shape: shape, Contents: c}
}

func TestDecodeInputsTyped(t *testing.T) {
	tests := []struct {
		name string
		in   *pb.ModelInferRequest_InferInputTensor
		want []byte
	}{
		{"fp32", input("x", "FP32", []int64{2}, &pb.InferTensorContents{Fp32Contents: []float32{1.5, -2}}), f32bytes(1.5, -2)},
		{"int8", input("x", "INT8", []int64{3}, &pb.InferTensorContents{IntContents: []int32{-128, 0, 127}}), []byte{0x80, 0, 0x7f}},
		{"int16", input("x", "INT16", []int64{1}, &pb.InferTensorContents{IntContents: []int32{-2}}), []byte{0xfe, 0xff}},
		{"int32", input("x", "INT32", []int64{1}, &pb.InferTensorContents{IntContents: []int32{258}}), []byte{2, 1, 0, 0}},
		{"int64", input("x", "INT64", []int64{1}, &pb.InferTensorContents{Int64Contents: []int64{-1}}), []byte{255, 255, 255, 255, 255, 255, 255, 255}},
		{"uint8", input("x", "UINT8", []int64{2}, &pb.InferTensorContents{UintContents: []uint32{255, 1}}), []byte{255, 1}},
		{"uint16", input("x", "UINT16", []int64{1}, &pb.InferTensorContents{UintContents: []uint32{513}}), []byte{1, 2}},
		{"uint32", input("x", "UINT32", []int64{1}, &pb.InferTensorContents{UintContents: []uint32{1 << 24}}), []byte{0, 0, 0, 1}},
		{"uint64", input("x", "UINT64", []int64{1}, &pb.InferTensorContents{Uint64Contents: []uint64{1 << 56}}), []byte{0, 0, 0, 0, 0, 0, 0, 1}},
		{"fp64", input("x", "FP64", []int64{1}, &pb.InferTensorContents{Fp64Contents: []float64{2}}), binary.LittleEndian.AppendUint64(nil, math.Float64bits(2))},
		{"bool", input("x", "BOOL", []int64{2, 1}, &pb.InferTensorContents{BoolContents: []bool{true, false}}), []byte{1, 0}},
		{"empty tensor", input("x", "FP32", []int64{0, 3}, &pb.InferTensorContents{}), []byte{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeInputs(&pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{tc.in}})
			if err != nil {
				t.Fatal(err)
			}
			if string(got[0].Data) != string(tc.want) {
				t.Fatalf("data = %v, want %v", got[0].Data, tc.want)
			}
		})
	}
}

func TestDecodeInputsRaw(t *testing.T) {
	req := &pb.ModelInferRequest{
		Inputs:           []*pb.ModelInferRequest_InferInputTensor{input("a", "FP16", []int64{2}, nil), input("b", "FP32", []int64{1, 1}, nil)},
		RawInputContents: [][]byte{{0, 0x3c, 0, 0xc0}, f32bytes(7)},
	}
	got, err := DecodeInputs(req)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Type != runtime.Float16 || HalfToFloat32(binary.LittleEndian.Uint16(got[0].Data[2:])) != -2 {
		t.Fatalf("fp16 input decoded as %+v", got[0])
	}
	if got[1].Name != "b" || string(got[1].Data) != string(f32bytes(7)) {
		t.Fatalf("second input decoded as %+v", got[1])
	}
}

func TestDecodeInputsMalformed(t *testing.T) {
	fp := &pb.InferTensorContents{Fp32Contents: []float32{1, 2}}
	tests := []struct {
		name string
		req  *pb.ModelInferRequest
		msg  string
	}{
		{"unknown datatype", &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "FP8", []int64{2}, fp)}}, "unsupported datatype"},
		{"bytes datatype", &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "BYTES", []int64{1}, nil)}}, "unsupported datatype"},
		{"negative dim", &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "FP32", []int64{-1, 2}, fp)}}, "negative dimension"},
		{"huge shape", &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "FP32", []int64{1 << 40, 1 << 40}, fp)}}, "too many elements"},
		{"too few typed", &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "FP32", []int64{3}, fp)}}, "shape needs 3"},
		{"wrong typed field", &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "INT32", []int64{2}, fp)}}, "0 INT32 elements"},
		{"fp16 typed", &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "FP16", []int64{2}, fp)}}, "raw_input_contents"},
		{"int8 overflow", &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "INT8", []int64{1}, &pb.InferTensorContents{IntContents: []int32{300}})}}, "out of range"},
		{"uint8 overflow", &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "UINT8", []int64{1}, &pb.InferTensorContents{UintContents: []uint32{256}})}}, "out of range"},
		{"raw byte count", &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "FP32", []int64{2}, nil)}, RawInputContents: [][]byte{{1, 2, 3}}}, "has 3 bytes"},
		{"raw count mismatch", &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "FP32", []int64{1}, nil), input("y", "FP32", []int64{1}, nil)}, RawInputContents: [][]byte{f32bytes(1)}}, "2 inputs"},
		{"raw and typed", &pb.ModelInferRequest{Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "FP32", []int64{2}, fp)}, RawInputContents: [][]byte{f32bytes(1, 2)}}, "both raw and typed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeInputs(tc.req)
			if !errors.Is(err, runtime.ErrInvalidInput) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want ErrInvalidInput containing %q", err, tc.msg)
			}
		})
	}
}

func TestSelectOutputs(t *testing.T) {
	outs := []runtime.Tensor{{Name: "y"}, {Name: "z"}}
	got, err := SelectOutputs(outs, []string{"z"})
	if err != nil || len(got) != 1 || got[0].Name != "z" {
		t.Fatalf("SelectOutputs = %v, %v", got, err)
	}
	if _, err := SelectOutputs(outs, []string{"w"}); !errors.Is(err, runtime.ErrInvalidInput) {
		t.Fatalf("unknown output: err = %v", err)
	}
}

func TestHalfConversions(t *testing.T) {
	tests := []struct {
		f float32
		h uint16
	}{
		{0, 0}, {1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {1e6, 0x7c00},
		{float32(math.Inf(-1)), 0xfc00}, {5.960464477539063e-08, 0x0001}, {0.5, 0x3800},
		{1.0009765625, 0x3c01}, {1.00048828125, 0x3c00}, // a tie rounds to even
	}
	for _, tc := range tests {
		if got := Float32ToHalf(tc.f); got != tc.h {
			t.Errorf("Float32ToHalf(%v) = %#04x, want %#04x", tc.f, got, tc.h)
		}
	}
	for h := 0; h < 1<<16; h++ {
		f := HalfToFloat32(uint16(h))
		if f != f { // NaN stays NaN
			if back := Float32ToHalf(f); back&0x7c00 != 0x7c00 || back&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, back)
			}
			continue
		}
		if back := Float32ToHalf(f); back != uint16(h) {
			t.Fatalf("half %#04x -> %v -> %#04x", h, f, back)
		}
	}
	if got := BFloat16ToFloat32(Float32ToBFloat16(3.140625)); got != 3.140625 {
		t.Fatalf("bf16 round trip of 3.140625 = %v", got)
	}
	if got := Float32ToBFloat16(1 + 1.0/256); got != 0x3f80 { // tie to even
		t.Fatalf("bf16(1+2^-8) = %#04x", got)
	}
}
