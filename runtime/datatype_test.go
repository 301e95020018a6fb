package runtime

import (
	"errors"
	"testing"
)

func TestDataTypeNames(t *testing.T) {
	tests := []struct {
		name string
		want DataType
		size int
	}{
		{"FP32", Float32, 4}, {"FP16", Float16, 2}, {"BF16", BFloat16, 2}, {"FP64", Float64, 8},
		{"INT8", Int8, 1}, {"INT16", Int16, 2}, {"INT32", Int32, 4}, {"INT64", Int64, 8},
		{"UINT8", Uint8, 1}, {"UINT16", Uint16, 2}, {"UINT32", Uint32, 4}, {"UINT64", Uint64, 8},
		{"BOOL", Bool, 1}, {"fp32", Float32, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDataType(tt.name)
			if err != nil || got != tt.want {
				t.Fatalf("ParseDataType(%q) = %v, %v; want %v", tt.name, got, err, tt.want)
			}
			if got.ElementSize() != tt.size || !got.Fixed() {
				t.Errorf("%v: size %d fixed %v, want %d", got, got.ElementSize(), got.Fixed(), tt.size)
			}
			back, err := ParseDataType(got.String())
			if err != nil || back != got {
				t.Errorf("round trip of %v through %q gave %v, %v", got, got.String(), back, err)
			}
		})
	}
}

func TestDataTypeUnknown(t *testing.T) {
	for _, name := range []string{"", "FLOAT", "FP8", "COMPLEX64"} {
		if d, err := ParseDataType(name); err == nil {
			t.Errorf("ParseDataType(%q) = %v, want error", name, d)
		}
	}
	if DataType(99).Fixed() || DataType(99).String() != "DataType(99)" || String.Fixed() {
		t.Error("unknown or variable-size types must not be fixed-size")
	}
}

func TestByteSize(t *testing.T) {
	tests := []struct {
		name  string
		dt    DataType
		shape []int64
		want  int64
		ok    bool
	}{
		{"scalar", Float32, nil, 4, true},
		{"matrix", Float16, []int64{3, 5}, 30, true},
		{"zero dim", Int64, []int64{0, 7}, 0, true},
		{"negative", Float32, []int64{-1, 3}, -1, false},
		{"overflow", Float64, []int64{1 << 31, 1 << 31, 1 << 31}, -1, false},
		{"string", String, []int64{2}, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ByteSize(tt.dt, tt.shape)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ByteSize = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestErrorsAreDistinct(t *testing.T) {
	errs := []error{ErrInvalidModel, ErrInvalidInput, ErrUnavailable, ErrClosed}
	for i, a := range errs {
		for j, b := range errs {
			if (i == j) != errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = %v", a, b, !(i == j))
			}
		}
	}
}
