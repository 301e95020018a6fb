package ort

import (
	"context"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
)

// TestZooPreparedMatchesDefault runs the zoo's small CNNs through both
// load paths and checks the outputs agree.
func TestZooPreparedMatchesDefault(t *testing.T) {
	plainLoader, fastLoader := newTestLoader(t, false), newTestLoader(t, true)
	for _, name := range []string{"squeezenet1.1", "mobilenet_v1_0.25"} {
		t.Run(name, func(t *testing.T) {
			path := zooModel(t, name)
			plain, fast := mustLoad(t, plainLoader, path), mustLoad(t, fastLoader, path)
			if !fast.Profile().Prepared {
				t.Fatal("fast load did not use the prepared form")
			}
			in := []runtime.Tensor{randomInput(plain.Signature().Inputs[0], 11)}
			want, err := plain.Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fast.Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, float32s(t, got[0]), float32s(t, want[0]), 1e-3)
		})
	}
}
