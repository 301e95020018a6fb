package codec

import (
	"fmt"
	"slices"

	"github.com/edgeserve/edgeserve/runtime"
)

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
