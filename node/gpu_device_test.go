package node

import (
	"testing"

	"github.com/edgeserve/edgeserve/runtime/nvml"
)

// TestGPUBudgetFromRealNVML needs a GPU (it is skipped without one): on
// the cuda provider the node sets its GPU budget from NVML, the free
// memory of GPU 0 at start minus the reserve. No model is loaded, so the
// ONNX Runtime build need not have CUDA.
func TestGPUBudgetFromRealNVML(t *testing.T) {
	r := nvml.Probe(nvml.DefaultConfig())
	if r.Count() == 0 {
		t.Skipf("needs a GPU: %s", r)
	}
	tn := startNode(t, func(c *Config, _ *Deps) { c.Runtime.Provider, c.Cache.GPUReserveBytes = "cuda", 256<<20 })
	st := nodeStatusOf(t, tn)
	if len(st.GPU.Devices) != r.Count() || st.GPU.Devices[0].MemoryTotalBytes != r.GPUs[0].MemoryTotalBytes {
		t.Fatalf("status devices %+v, NVML says %s", st.GPU.Devices, r)
	}
	total := int64(r.GPUs[0].MemoryTotalBytes)
	if st.GPUBudgetBytes <= 0 || st.GPUBudgetBytes > total-256<<20 {
		t.Fatalf("GPU budget %d, want in (0, %d]", st.GPUBudgetBytes, total-256<<20)
	}
	t.Logf("GPU 0: %s; budget %d bytes", r, st.GPUBudgetBytes)
	wantMetrics(t, tn, `edgeserve_gpu_available{reason=""} 1`)
}
