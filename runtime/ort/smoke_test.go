package ort

import (
	"context"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
)

func TestAddRuns(t *testing.T) {
	for _, fast := range []bool{false, true} {
		l := newTestLoader(t, fast)
		m := mustLoad(t, l, addModel(t))
		out, err := m.Run(context.Background(), []runtime.Tensor{
			float32Tensor("a", []int64{2, 3}, 1, 2, 3, 4, 5, 6),
			float32Tensor("b", []int64{2, 3}, 10, 20, 30, 40, 50, 60),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("fast=%v out=%v profile=%+v sig=%+v key=%s", fast, float32s(t, out[0]), m.Profile(), m.Signature(), l.ArtifactKey())
	}
}
