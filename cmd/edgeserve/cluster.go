package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/edgeserve/edgeserve/client"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
)

func newClusterCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "cluster", Short: "Inspect the cluster a node belongs to"}
	cmd.AddCommand(newClusterStatusCmd(), newClusterPlacementCmd())
	return cmd
}

func newClusterStatusCmd() *cobra.Command {
	var r remote
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Members, regions, sites, health, loaded models, headroom and predicted RTT, as the node asked sees them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return r.run(cmd, true, func(ctx context.Context, c *client.Client) error {
				st, err := c.ClusterStatus(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return writeClusterJSON(cmd.OutOrStdout(), st)
				}
				return writeClusterTable(cmd.OutOrStdout(), st)
			})
		},
	}
	r.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// clusterJSON is the --json form of the status.
type clusterJSON struct {
	Enabled       bool            `json:"enabled"`
	Node          string          `json:"node"`
	CatalogModels int             `json:"catalog_models"`
	Members       []clusterMember `json:"members"`
}

type clusterMember struct {
	Name                string       `json:"name"`
	Region              string       `json:"region"`
	Site                string       `json:"site"`
	Health              string       `json:"health"`
	Self                bool         `json:"self"`
	GossipAddr          string       `json:"gossip_addr"`
	GRPCAddr            string       `json:"grpc_addr"`
	HTTPAddr            string       `json:"http_addr"`
	RTTMs               *float64     `json:"rtt_ms"` // null while unknown
	StateKnown          bool         `json:"state_known"`
	Loaded              []string     `json:"loaded"`
	LoadedBehind        bool         `json:"loaded_behind,omitempty"`
	Loading             []string     `json:"loading"`
	MemoryBudgetBytes   int64        `json:"memory_budget_bytes"`
	MemoryHeadroomBytes int64        `json:"memory_headroom_bytes"`
	GPUs                []clusterGPU `json:"gpus"`
	LoadsInProgress     int32        `json:"loads_in_progress"`
	QueueDepth          int32        `json:"queue_depth"`
}

type clusterGPU struct {
	Index      int32  `json:"index"`
	FreeBytes  uint64 `json:"free_bytes"`
	TotalBytes uint64 `json:"total_bytes"`
}

func writeClusterJSON(w io.Writer, st *adminpb.ClusterStatusResponse) error {
	out := clusterJSON{Enabled: st.GetEnabled(), Node: st.GetNode(), CatalogModels: int(st.GetCatalogModels()), Members: []clusterMember{}}
	for _, m := range st.GetMembers() {
		cm := clusterMember{Name: m.Name, Region: m.Region, Site: m.Site, Health: m.Health, Self: m.Self,
			GossipAddr: m.GossipAddr, GRPCAddr: m.GrpcAddr, HTTPAddr: m.HttpAddr, StateKnown: m.StateKnown,
			Loaded: append([]string{}, m.Loaded...), LoadedBehind: m.LoadedBehind, Loading: append([]string{}, m.Loading...),
			MemoryBudgetBytes: m.MemoryBudgetBytes, MemoryHeadroomBytes: m.MemoryHeadroomBytes,
			GPUs: []clusterGPU{}, LoadsInProgress: m.LoadsInProgress, QueueDepth: m.QueueDepth}
		if m.RttKnown {
			rtt := m.RttMs
			cm.RTTMs = &rtt
		}
		for _, g := range m.Gpus {
			cm.GPUs = append(cm.GPUs, clusterGPU{Index: g.Index, FreeBytes: g.FreeBytes, TotalBytes: g.TotalBytes})
		}
		out.Members = append(out.Members, cm)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeClusterTable(w io.Writer, st *adminpb.ClusterStatusResponse) error {
	if !st.GetEnabled() {
		_, err := fmt.Fprintf(w, "%s is a cluster of one (started without --region or --join)\n", st.GetNode())
		return err
	}
	fmt.Fprintf(w, "as seen from %s; %d model versions in the catalog\n", st.GetNode(), st.GetCatalogModels())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tREGION\tSITE\tHEALTH\tRTT\tHEADROOM\tGPU FREE\tQUEUE\tLOADED")
	for _, m := range st.GetMembers() {
		name := m.Name
		if m.Self {
			name += " (self)"
		}
		rtt := "-"
		if m.RttKnown && !m.Self {
			rtt = fmt.Sprintf("%.1fms", m.RttMs)
		}
		head, gpu, queue, loaded := "-", "none", "-", "-"
		if m.StateKnown {
			head, queue = mib(m.MemoryHeadroomBytes)+"/"+mib(m.MemoryBudgetBytes), fmt.Sprint(m.QueueDepth)
			var free []string
			for _, g := range m.Gpus {
				free = append(free, fmt.Sprintf("%d:%s", g.Index, mib(int64(g.FreeBytes))))
			}
			if len(free) > 0 {
				gpu = strings.Join(free, ",")
			}
			names := slices.Clone(m.Loaded)
			for _, l := range m.Loading {
				names = append(names, l+" (loading)")
			}
			loaded = strings.Join(names, ",")
			if loaded == "" {
				loaded = "(none)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, m.Region, m.Site, m.Health, rtt, head, gpu, queue, loaded)
	}
	return tw.Flush()
}

func mib(b int64) string { return fmt.Sprintf("%dMiB", b>>20) }
