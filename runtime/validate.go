package runtime

import (
	"fmt"
	"math/bits"
	"strings"
)

// Bind checks inputs against the signature's inputs and returns them in the
// signature's order. Every input must be present exactly once, under its
// name, with its element type, its rank, every static dimension equal and
// every dynamic one at least 1, and exactly product(shape) * element size
// bytes of data. Errors wrap ErrInvalidInput; a wrong name is reported as
// unknown first, then the names it leaves missing. Bind never looks at the
// data, so it is cheap enough to call before every run.
func (s Signature) Bind(inputs []Tensor) ([]Tensor, error) {
	byName, err := s.indexInputs(inputs)
	if err != nil {
		return nil, err
	}
	ordered := make([]Tensor, len(s.Inputs))
	for i, spec := range s.Inputs {
		in := inputs[byName[spec.Name]]
		if err := spec.Check(in); err != nil {
			return nil, err
		}
		ordered[i] = in
	}
	return ordered, nil
}

// indexInputs maps each input name to its position, refusing duplicates,
// names the signature does not have and names it has that are not given.
func (s Signature) indexInputs(inputs []Tensor) (map[string]int, error) {
	known := make(map[string]bool, len(s.Inputs))
	for _, spec := range s.Inputs {
		known[spec.Name] = true
	}
	byName := make(map[string]int, len(inputs))
	var problems []string
	for i, in := range inputs {
		if _, dup := byName[in.Name]; dup {
			return nil, fmt.Errorf("%w: input %q given twice", ErrInvalidInput, in.Name)
		}
		byName[in.Name] = i
		if !known[in.Name] {
			problems = append(problems, fmt.Sprintf("unknown input %q", in.Name))
		}
	}
	for _, spec := range s.Inputs {
		if _, ok := byName[spec.Name]; !ok {
			problems = append(problems, fmt.Sprintf("missing input %q", spec.Name))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalidInput, strings.Join(problems, ", "))
	}
	return byName, nil
}

// Check reports whether t matches the spec: element type, shape (dynamic
// dimensions accept any size of at least 1) and byte count. Errors wrap
// ErrInvalidInput.
func (spec TensorSpec) Check(t Tensor) error {
	if t.Type != spec.Type {
		return fmt.Errorf("%w: input %q has datatype %s, model expects %s", ErrInvalidInput, spec.Name, t.Type, spec.Type)
	}
	if !t.Type.Fixed() {
		return fmt.Errorf("%w: input %q: datatype %s is not supported", ErrInvalidInput, spec.Name, t.Type)
	}
	if err := spec.checkShape(t.Shape); err != nil {
		return err
	}
	want, ok := ByteSize(t.Type, t.Shape)
	if !ok || int64(len(t.Data)) != want {
		return fmt.Errorf("%w: input %q has %d bytes, shape %v of %s needs %d", ErrInvalidInput, spec.Name, len(t.Data), t.Shape, t.Type, want)
	}
	return nil
}

func (spec TensorSpec) checkShape(shape []int64) error {
	if len(shape) != len(spec.Shape) {
		return fmt.Errorf("%w: input %q has shape %v, model expects %v", ErrInvalidInput, spec.Name, shape, spec.Shape)
	}
	for i, d := range shape {
		if d < 1 || (spec.Shape[i] >= 0 && d != spec.Shape[i]) {
			return fmt.Errorf("%w: input %q has shape %v, model expects %v (-1 is any size >= 1)", ErrInvalidInput, spec.Name, shape, spec.Shape)
		}
	}
	return nil
}

// maxTensorBytes bounds the size of one tensor (1 TiB), far above any real
// input, so that byte counts never overflow.
const maxTensorBytes = 1 << 40

// ByteSize is the number of bytes a dense tensor of this type and shape
// holds. ok is false for negative dimensions, types without a fixed size and
// sizes above 1 TiB.
func ByteSize(t DataType, shape []int64) (n int64, ok bool) {
	size := uint64(t.ElementSize())
	if size == 0 {
		return -1, false
	}
	for _, d := range shape {
		if d < 0 {
			return -1, false
		}
		hi, lo := bits.Mul64(size, uint64(d))
		if hi != 0 || lo > maxTensorBytes {
			return -1, false
		}
		size = lo
	}
	return int64(size), true
}
