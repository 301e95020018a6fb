package codec

import (
	"fmt"
	"slices"

	"github.com/edgeserve/edgeserve/runtime"
)

// MatchInputs checks the tensors against the model's inputs and returns them
// in the signature's order: every input present once, no unknown names, the
// same element type and rank, and every fixed dimension equal (a negative
// dimension in the signature is dynamic and accepts any size).
func MatchInputs(sig runtime.Signature, in []runtime.Tensor) ([]runtime.Tensor, error) {
	if len(in) != len(sig.Inputs) {
		return nil, fmt.Errorf("%w: %d inputs given, the model takes %d (%s)",
			runtime.ErrInvalidInput, len(in), len(sig.Inputs), specNames(sig.Inputs))
	}
	out := make([]runtime.Tensor, len(sig.Inputs))
	for i, spec := range sig.Inputs {
		j := slices.IndexFunc(in, func(t runtime.Tensor) bool { return t.Name == spec.Name })
		if j < 0 {
			return nil, fmt.Errorf("%w: missing input %q (the model takes %s)", runtime.ErrInvalidInput, spec.Name, specNames(sig.Inputs))
		}
		if err := matchSpec(spec, in[j]); err != nil {
			return nil, err
		}
		out[i] = in[j]
	}
	return out, nil
}

func matchSpec(spec runtime.TensorSpec, t runtime.Tensor) error {
	if t.Type != spec.Type {
		return fmt.Errorf("%w: input %q is %s, the model expects %s",
			runtime.ErrInvalidInput, t.Name, DataTypeName(t.Type), DataTypeName(spec.Type))
	}
	if !ShapeMatches(spec.Shape, t.Shape) {
		return fmt.Errorf("%w: input %q has shape %v, the model expects %v (-1 is any size)",
			runtime.ErrInvalidInput, t.Name, t.Shape, spec.Shape)
	}
	return nil
}

// ShapeMatches reports whether shape fits want, where want's negative
// dimensions are dynamic.
func ShapeMatches(want, shape []int64) bool {
	if len(want) != len(shape) {
		return false
	}
	for i, d := range want {
		if d >= 0 && d != shape[i] {
			return false
		}
	}
	return true
}

// SelectOutputs returns the outputs the client asked for, in the order it
// asked, or all of them when names is empty. An unknown name is an error.
func SelectOutputs(outs []runtime.Tensor, names []string) ([]runtime.Tensor, error) {
	if len(names) == 0 {
		return outs, nil
	}
	sel := make([]runtime.Tensor, len(names))
	for i, name := range names {
		j := slices.IndexFunc(outs, func(t runtime.Tensor) bool { return t.Name == name })
		if j < 0 {
			return nil, fmt.Errorf("%w: unknown output %q", runtime.ErrInvalidInput, name)
		}
		sel[i] = outs[j]
	}
	return sel, nil
}

func specNames(specs []runtime.TensorSpec) string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return fmt.Sprint(names)
}
