package node

import (
	"encoding/json"
	"github.com/edgeserve/edgeserve/internal/testutil"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	"github.com/edgeserve/edgeserve/runtime/nvml"
	"google.golang.org/grpc/codes"
)

// nodeStatusOf reads GET /v2/node/status.
func nodeStatusOf(t *testing.T, tn *testNode) nodeStatus {
	t.Helper()
	code, body := httpDo(t, http.DefaultClient, "GET", "http://"+tn.HTTPAddr()+"/v2/node/status", "", "")
	var st nodeStatus
	if code != http.StatusOK {
		t.Fatalf("node status: %d %s", code, body)
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("node status %s: %v", body, err)
	}
	return st
}

// TestNoGPUReasonReported probes through the real NVML path with a library
// that is not there (so on any machine, with or without a GPU): the status
// and the metrics say there is no GPU and why, the CPU provider runs
// without a GPU budget, and a GPU provider refuses to start, naming the
// reason.
func TestNoGPUReasonReported(t *testing.T) {
	lib := filepath.Join(t.TempDir(), "libnvidia-ml.so.1")
	tn := startNode(t, func(c *Config, _ *Deps) { c.Runtime.NVMLLibrary = lib })
	st := nodeStatusOf(t, tn)
	if st.GPU.Available || len(st.GPU.Devices) != 0 || !strings.HasPrefix(st.GPU.Summary, "no GPU: nvml: ") ||
		!strings.Contains(st.GPU.Summary, lib) || st.GPU.ProbedAt.IsZero() || st.GPUBudgetBytes != 0 || st.Provider != "cpu" {
		t.Fatalf("status = %+v, want no GPU with NVML's reason naming %s, no budget", st, lib)
	}
	wantMetrics(t, tn, `edgeserve_gpu_available{reason="`+strings.TrimPrefix(st.GPU.Summary, "no GPU: ")+`"} 0`,
		`edgeserve_cache_capacity_bytes{memory="gpu"} 0`)
	as, err := tn.admin.NodeStatus(adminCtx(t), &adminpb.NodeStatusRequest{})
	if err != nil || as.GetGpuSummary() != st.GPU.Summary || len(as.GetGpus()) != 0 {
		t.Fatalf("admin NodeStatus = %v, %v; want the summary %q and no GPU", as, err, st.GPU.Summary)
	}

	cfg := DefaultConfig(t.TempDir())
	cfg.Server.GRPCAddr, cfg.Server.HTTPAddr, cfg.Server.MetricsAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Runtime.ORTLibrary, cfg.Runtime.Provider, cfg.Runtime.NVMLLibrary = testutil.ORTLibrary(t), "cuda", lib
	if _, err := New(cfg, Deps{}); err == nil || !strings.Contains(err.Error(), lib) || !strings.Contains(err.Error(), "cuda") {
		t.Fatalf("New with the cuda provider and no GPU: %v; want an error naming the provider and %s", err, lib)
	}
}

// TestDefaultProbeReportsThisMachine runs the node's default probe (the
// real NVML): this machine has no NVIDIA driver, so the status must say
// "no GPU" with NVML's reason; on a GPU machine (EDGESERVE_EXPECT_GPUS set)
// it must list the GPUs with their memory.
func TestDefaultProbeReportsThisMachine(t *testing.T) {
	tn := startNode(t, nil)
	st := nodeStatusOf(t, tn)
	t.Logf("probe: %s", st.GPU.Summary)
	if expectGPUs() {
		if !st.GPU.Available || len(st.GPU.Devices) == 0 || st.GPU.Devices[0].MemoryTotalBytes == 0 {
			t.Fatalf("status = %+v, want the GPUs", st)
		}
		wantMetrics(t, tn, `edgeserve_gpu_available{reason=""} 1`)
		return
	}
	if st.GPU.Available || !strings.HasPrefix(st.GPU.Summary, "no GPU: nvml: ") {
		t.Fatalf("status = %+v, want no GPU with NVML's reason (set EDGESERVE_EXPECT_GPUS on a GPU machine)", st)
	}
}

func expectGPUs() bool {
	v := strings.TrimSpace(os.Getenv("EDGESERVE_EXPECT_GPUS"))
	return v != "" && v != "0"
}

// fakeGPU stands in for NVML, which cannot run here (no GPU): GPU 0 has
// 16 GiB, of which 10 GiB are free at the first probe and 1 GiB less at
// each later one.
type fakeGPU struct{ probes atomic.Int64 }

func (f *fakeGPU) Probe() nvml.Report {
	k := uint64(f.probes.Add(1) - 1)
	free := (10 - min(k, 9)) << 30
	return nvml.Report{GPUs: []nvml.GPU{{Index: 0, Name: "Fake GPU", UUID: "GPU-fake",
		MemoryTotalBytes: 16 << 30, MemoryFreeBytes: free, MemoryUsedBytes: 16<<30 - free}}}
}

// TestGPUBudgetAndStatusFromProbe (a fake probe: no GPU here): on the cuda
// provider the cache's GPU budget is the free memory at start minus the
// reserve; the status and the metrics follow the periodic probes.
func TestGPUBudgetAndStatusFromProbe(t *testing.T) {
	fake := &fakeGPU{}
	tn := startNode(t, func(c *Config, d *Deps) {
		c.Runtime.Provider, c.Cache.GPUReserveBytes, c.Runtime.GPUProbeInterval = "cuda", 1<<30, 5*time.Millisecond
		d.GPUProber = fake
	})
	st := nodeStatusOf(t, tn)
	if st.Provider != "cuda" || st.GPUBudgetBytes != 9<<30 || !st.GPU.Available || len(st.GPU.Devices) != 1 ||
		st.GPU.Devices[0].Name != "Fake GPU" || st.GPU.Devices[0].MemoryTotalBytes != 16<<30 {
		t.Fatalf("status = %+v, want cuda, a 9 GiB budget, the fake GPU", st)
	}
	wantMetrics(t, tn, `edgeserve_cache_capacity_bytes{memory="gpu"} 9.663676416e+09`,
		`edgeserve_gpu_memory_total_bytes{gpu="0",name="Fake GPU"} 1.7179869184e+10`,
		`edgeserve_gpu_available{reason=""} 1`)
	as, err := tn.admin.NodeStatus(adminCtx(t), &adminpb.NodeStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if as.GetProvider() != "cuda" || as.GetGpuBudgetBytes() != 9<<30 || len(as.GetGpus()) != 1 ||
		as.GetGpus()[0].GetName() != "Fake GPU" || as.GetGpus()[0].GetMemoryTotalBytes() != 16<<30 || as.GetGpuProbedUnixMs() == 0 {
		t.Fatalf("admin NodeStatus = %v, want cuda, a 9 GiB budget, the fake GPU", as)
	}
	_, err = tn.admin.NodeStatus(testCtx(t), &adminpb.NodeStatusRequest{})
	wantCode(t, err, codes.Unauthenticated)
	testutil.Eventually(t, "the periodic probe lowers the free memory shown", func() bool {
		return nodeStatusOf(t, tn).GPU.Devices[0].MemoryFreeBytes == 1<<30
	})
	wantMetrics(t, tn, `edgeserve_gpu_memory_free_bytes{gpu="0",name="Fake GPU"} 1.073741824e+09`)
}

func TestGPUBudget(t *testing.T) {
	fake := (&fakeGPU{}).Probe() // GPU 0: 10 GiB free
	none := nvml.Report{Reason: "nvml: cannot load libnvidia-ml.so.1 (NVIDIA driver not installed?)"}
	cfg := func(provider string, device int, budget, reserve int64) Config {
		c := DefaultConfig("d")
		c.Runtime.Provider, c.Runtime.GPUDevice, c.Cache.GPUBudgetBytes, c.Cache.GPUReserveBytes = provider, device, budget, reserve
		return c
	}
	tests := []struct {
		name    string
		cfg     Config
		report  nvml.Report
		want    int64
		wantErr string
	}{
		{"cpu provider: no budget", cfg("cpu", 0, 0, 0), fake, 0, ""},
		{"cpu provider without GPU", cfg("cpu", 0, 0, 0), none, 0, ""},
		{"free minus reserve", cfg("cuda", 0, 0, 2<<30), fake, 8 << 30, ""},
		{"explicit budget wins", cfg("tensorrt", 0, 3<<30, 2<<30), fake, 3 << 30, ""},
		{"no GPU", cfg("cuda", 0, 0, 0), none, 0, "NVIDIA driver not installed"},
		{"no such device", cfg("cuda", 1, 0, 0), fake, 0, "GPU 1"},
		{"reserve takes all", cfg("cuda", 0, 0, 10<<30), fake, 0, "no room"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := gpuBudget(tt.cfg, tt.report)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("budget = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}
