package node

import (
	"context"
	"net/http"
	"time"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
)

// nodeStatus is the node's own state for operators and, later, its peers
// (GET /v2/node/status, and the admin API's NodeStatus): its execution
// provider, GPU budget and GPUs.
type nodeStatus struct {
	Draining       bool      `json:"draining"`
	Provider       string    `json:"provider"`
	GPUBudgetBytes int64     `json:"gpu_budget_bytes"` // 0: none enforced
	GPU            gpuStatus `json:"gpu"`
	// Memory is the loaded models' memory in two tiers.
	Memory memoryStatus `json:"memory"`
}

// memoryStatus is the loaded models' memory in two tiers: what the cache
// charges against its budget (anonymous memory, which the node cannot give
// back without unloading a model) and the weights they map from files (the
// page cache, which the kernel manages, drops under pressure and reads
// again on a later touch).
type memoryStatus struct {
	BudgetBytes  int64 `json:"budget_bytes"`
	ChargedBytes int64 `json:"charged_bytes"` // includes loads in progress
	MappedBytes  int64 `json:"mapped_bytes"`
	// HeldBytes is what the runtime holds outside every charge (the
	// shared arena's free memory), counted as used when a load is fitted.
	HeldBytes int64         `json:"held_bytes"`
	Models    []modelMemory `json:"models"`
}

// modelMemory is one model version loaded or being loaded.
type modelMemory struct {
	Model        string `json:"model"` // "name:version"
	State        string `json:"state"`
	ChargedBytes int64  `json:"charged_bytes"` // the reservation while it loads
	MappedBytes  int64  `json:"mapped_bytes"`
	// LastUse is the last request's arrival (zero: none since the load).
	LastUse time.Time `json:"last_use"`
	Pinned  bool      `json:"pinned,omitempty"`
}

// gpuStatus is the last GPU probe.
type gpuStatus struct {
	Available bool      `json:"available"`
	Summary   string    `json:"summary"` // "no GPU: <reason>" when none
	ProbedAt  time.Time `json:"probed_at"`
	Devices   []gpuInfo `json:"devices"`
}

type gpuInfo struct {
	Index            int    `json:"index"`
	Name             string `json:"name"`
	UUID             string `json:"uuid"`
	MemoryTotalBytes uint64 `json:"memory_total_bytes"`
	MemoryFreeBytes  uint64 `json:"memory_free_bytes"`
	MemoryUsedBytes  uint64 `json:"memory_used_bytes"`
}

// status builds the node's status view.
func (n *Node) status() nodeStatus {
	r, at := n.gpus.latest()
	g := gpuStatus{Available: r.Count() > 0, Summary: r.String(), ProbedAt: at, Devices: []gpuInfo{}}
	for _, d := range r.GPUs {
		g.Devices = append(g.Devices, gpuInfo{Index: d.Index, Name: d.Name, UUID: d.UUID,
			MemoryTotalBytes: d.MemoryTotalBytes, MemoryFreeBytes: d.MemoryFreeBytes, MemoryUsedBytes: d.MemoryUsedBytes})
	}
	return nodeStatus{Draining: n.draining.Load(), Provider: n.cfg.Runtime.Provider, GPUBudgetBytes: n.cfg.Cache.GPUBudgetBytes, GPU: g,
		Memory: n.cache.Memory()}
}

func (n *Node) handleNodeStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, n.status())
}

// NodeStatus is the status view over the admin API.
func (s adminServer) NodeStatus(context.Context, *adminpb.NodeStatusRequest) (*adminpb.NodeStatusResponse, error) {
	st := s.n.status()
	resp := &adminpb.NodeStatusResponse{Draining: st.Draining, Provider: st.Provider, GpuBudgetBytes: st.GPUBudgetBytes,
		GpuSummary: st.GPU.Summary, GpuProbedUnixMs: st.GPU.ProbedAt.UnixMilli()}
	resp.Memory = &adminpb.MemoryStatus{BudgetBytes: st.Memory.BudgetBytes, ChargedBytes: st.Memory.ChargedBytes,
		MappedBytes: st.Memory.MappedBytes, HeldBytes: st.Memory.HeldBytes}
	for _, m := range st.Memory.Models {
		resp.Memory.Models = append(resp.Memory.Models, &adminpb.ModelMemory{Model: m.Model, State: m.State,
			ChargedBytes: m.ChargedBytes, MappedBytes: m.MappedBytes})
	}
	for _, g := range st.GPU.Devices {
		resp.Gpus = append(resp.Gpus, &adminpb.GPU{Index: int32(g.Index), Name: g.Name, Uuid: g.UUID,
			MemoryTotalBytes: g.MemoryTotalBytes, MemoryFreeBytes: g.MemoryFreeBytes, MemoryUsedBytes: g.MemoryUsedBytes})
	}
	return resp, nil
}
