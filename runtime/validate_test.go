package runtime

import (
	"errors"
	"testing"
)

func testSignature() Signature {
	return Signature{Inputs: []TensorSpec{
		{Name: "image", Type: Float32, Shape: []int64{-1, 3, 2, 2}},
		{Name: "ids", Type: Int64, Shape: []int64{4}},
	}}
}

func validInputs() []Tensor {
	return []Tensor{
		{Name: "ids", Type: Int64, Shape: []int64{4}, Data: make([]byte, 32)},
		{Name: "image", Type: Float32, Shape: []int64{2, 3, 2, 2}, Data: make([]byte, 2*12*4)},
	}
}

func TestBindOrdersBySignature(t *testing.T) {
	got, err := testSignature().Bind(validInputs())
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Name != "image" || got[1].Name != "ids" {
		t.Errorf("order = %s, %s; want image, ids", got[0].Name, got[1].Name)
	}
}

func TestBindRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func([]Tensor) []Tensor
	}{
		{"missing", func(in []Tensor) []Tensor { return in[:1] }},
		{"extra", func(in []Tensor) []Tensor {
			return append(in, Tensor{Name: "x", Type: Float32, Shape: []int64{1}, Data: make([]byte, 4)})
		}},
		{"duplicate", func(in []Tensor) []Tensor { return append(in, in[0]) }},
		{"wrong type", func(in []Tensor) []Tensor { in[0].Type = Int32; in[0].Data = make([]byte, 16); return in }},
		{"wrong rank", func(in []Tensor) []Tensor { in[1].Shape = []int64{2, 3, 4}; return in }},
		{"wrong static dim", func(in []Tensor) []Tensor { in[1].Shape = []int64{2, 4, 2, 2}; return in }},
		{"zero dynamic dim", func(in []Tensor) []Tensor { in[1].Shape = []int64{0, 3, 2, 2}; in[1].Data = nil; return in }},
		{"negative dim", func(in []Tensor) []Tensor { in[1].Shape = []int64{-2, 3, 2, 2}; return in }},
		{"short data", func(in []Tensor) []Tensor { in[1].Data = in[1].Data[:10]; return in }},
		{"long data", func(in []Tensor) []Tensor { in[0].Data = make([]byte, 33); return in }},
		{"string type", func(in []Tensor) []Tensor { in[0].Type = String; return in }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := testSignature().Bind(tt.mutate(validInputs()))
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("Bind error = %v, want ErrInvalidInput", err)
			}
		})
	}
}

func FuzzBind(f *testing.F) {
	f.Add("image", int32(1), int64(2), int64(3), 96)
	f.Add("ids", int32(7), int64(4), int64(-1), 32)
	f.Fuzz(func(t *testing.T, name string, dt int32, d0, d1 int64, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		in := []Tensor{{Name: name, Type: DataType(dt), Shape: []int64{d0, d1}, Data: make([]byte, n)}}
		sig := Signature{Inputs: []TensorSpec{{Name: "image", Type: Float32, Shape: []int64{-1, 3}}}}
		got, err := sig.Bind(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("error %v does not wrap ErrInvalidInput", err)
			}
			return
		}
		want, ok := ByteSize(got[0].Type, got[0].Shape)
		if !ok || want != int64(len(got[0].Data)) || got[0].Shape[1] != 3 || got[0].Shape[0] < 1 {
			t.Fatalf("accepted invalid tensor %+v", got[0].Shape)
		}
	})
}

// TestBindNamesUnknownInput: an input under a wrong name is reported as
// unknown, before the model input it leaves missing.
func TestBindNamesUnknownInput(t *testing.T) {
	in := validInputs()
	in[0].Name = "idz"
	_, err := testSignature().Bind(in)
	want := `runtime: invalid input: unknown input "idz", missing input "ids"`
	if !errors.Is(err, ErrInvalidInput) || err.Error() != want {
		t.Fatalf("Bind error = %v, want %s", err, want)
	}
}
