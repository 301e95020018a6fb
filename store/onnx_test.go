package store

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

func TestCheckONNX(t *testing.T) {
	model := onnxModel(t, 30, 32)
	var noGraph, wrongType, group, unknownField []byte
	noGraph = protowire.AppendTag(noGraph, 1, protowire.VarintType)
	noGraph = protowire.AppendVarint(noGraph, 8)
	wrongType = protowire.AppendTag(append([]byte{}, noGraph...), 7, protowire.VarintType)
	wrongType = protowire.AppendVarint(wrongType, 1)
	group = protowire.AppendTag(append([]byte{}, noGraph...), 99, protowire.StartGroupType)
	unknownField = protowire.AppendTag(append([]byte{}, model...), 99, protowire.Fixed32Type)
	unknownField = append(unknownField, 1, 2, 3, 4)
	cases := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"real model", model, true},
		{"unknown field from a newer onnx", unknownField, true},
		{"empty", nil, false},
		{"no graph", noGraph, false},
		{"graph with wrong wire type", wrongType, false},
		{"group", group, false},
		{"truncated", model[:len(model)-3], false},
		{"text", []byte("hello, this is not a model"), false},
		{"overlong varint", []byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckONNX(tc.in)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrNotONNX)) {
				t.Fatalf("CheckONNX = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
