package node

import (
	"context"
	"net/http"

	"github.com/edgeserve/edgeserve/gossip"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
)

// clusterView is the cluster as this node sees it (GET /v2/cluster).
type clusterView struct {
	// Enabled is false on a cluster of one.
	Enabled bool                  `json:"enabled"`
	Node    string                `json:"node"`
	Members []gossip.Member       `json:"members"`
	Catalog []gossip.CatalogEntry `json:"catalog"`
}

func (n *Node) clusterView() clusterView {
	if n.cluster == nil {
		return clusterView{Node: n.cfg.Cluster.Name, Members: []gossip.Member{}, Catalog: []gossip.CatalogEntry{}}
	}
	return clusterView{Enabled: true, Node: n.cluster.g.Name(), Members: n.cluster.g.Members(), Catalog: n.cluster.g.Catalog()}
}

func (n *Node) handleCluster(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, n.clusterView())
}

// ClusterStatus is the cluster view over the admin API.
func (s adminServer) ClusterStatus(context.Context, *adminpb.ClusterStatusRequest) (*adminpb.ClusterStatusResponse, error) {
	v := s.n.clusterView()
	resp := &adminpb.ClusterStatusResponse{Enabled: v.Enabled, Node: v.Node}
	for _, m := range v.Members {
		resp.Members = append(resp.Members, memberPB(m))
	}
	for _, e := range v.Catalog {
		if !e.Deleted {
			resp.CatalogModels++
		}
	}
	return resp, nil
}

func memberPB(m gossip.Member) *adminpb.ClusterMember {
	p := &adminpb.ClusterMember{Name: m.Name, Region: m.Region, Site: m.Site, Health: string(m.Health), Self: m.Self,
		GossipAddr: m.Addr, GrpcAddr: m.Services.GRPCAddr, HttpAddr: m.Services.HTTPAddr,
		RttMs: float64(m.RTT.Microseconds()) / 1000, RttKnown: m.RTTKnown}
	if s := m.State; s != nil {
		p.StateKnown, p.Loaded, p.LoadedBehind, p.Loading = true, s.Loaded, s.LoadedBehind, s.Loading
		p.MemoryBudgetBytes, p.MemoryHeadroomBytes = s.MemoryBudgetBytes, s.MemoryHeadroomBytes
		p.LoadsInProgress, p.QueueDepth = int32(s.LoadsInProgress), int32(s.QueueDepth)
		for _, g := range s.GPUs {
			p.Gpus = append(p.Gpus, &adminpb.ClusterGPU{Index: int32(g.Index), FreeBytes: g.FreeBytes, TotalBytes: g.TotalBytes})
		}
	}
	return p
}
