package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/edgeserve/edgeserve/client"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
)

func newClusterPlacementCmd() *cobra.Command {
	var r remote
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "placement",
		Short: "Each region's Raft leader and term, and the node's region: its hints and how far each node follows them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return r.run(cmd, true, func(ctx context.Context, c *client.Client) error {
				st, err := c.PlacementStatus(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return writePlacementJSON(cmd.OutOrStdout(), st)
				}
				return writePlacementTable(cmd.OutOrStdout(), st)
			})
		},
	}
	r.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// placementJSON is the --json form.
type placementJSON struct {
	Enabled    bool              `json:"enabled"`
	Node       string            `json:"node"`
	Region     string            `json:"region"`
	State      string            `json:"state"`
	Leader     string            `json:"leader"`
	Term       uint64            `json:"term"`
	Generation uint64            `json:"generation"`
	Servers    []placementServer `json:"servers"`
	Hints      []placementHint   `json:"hints"`
	Follow     []placementFollow `json:"follow"`
	Regions    []regionJSON      `json:"regions"`
}

type placementServer struct {
	Name  string `json:"name"`
	Addr  string `json:"addr"`
	Voter bool   `json:"voter"`
}

type placementHint struct {
	Model  string   `json:"model"`
	Copies int32    `json:"copies"`
	Nodes  []string `json:"nodes"`
	Reason string   `json:"reason"`
	Rate   float64  `json:"rate_per_second"`
}

type placementFollow struct {
	Node    string   `json:"node"`
	Hinted  []string `json:"hinted"`
	Missing []string `json:"missing"`
}

type regionJSON struct {
	Region     string `json:"region"`
	Leader     string `json:"leader"`
	Term       uint64 `json:"term"`
	Generation uint64 `json:"generation"`
	Nodes      int32  `json:"nodes"`
	Hinted     int32  `json:"hinted"`
	Following  int32  `json:"following"`
}

func writePlacementJSON(w io.Writer, st *adminpb.PlacementStatusResponse) error {
	out := placementJSON{Enabled: st.GetEnabled(), Node: st.GetNode(), Region: st.GetRegion(), State: st.GetState(),
		Leader: st.GetLeader(), Term: st.GetTerm(), Generation: st.GetGeneration(),
		Servers: []placementServer{}, Hints: []placementHint{}, Follow: []placementFollow{}, Regions: []regionJSON{}}
	for _, s := range st.GetServers() {
		out.Servers = append(out.Servers, placementServer{s.GetName(), s.GetAddr(), s.GetVoter()})
	}
	for _, h := range st.GetHints() {
		out.Hints = append(out.Hints, placementHint{h.GetModel(), h.GetCopies(), nonNil(h.GetNodes()), h.GetReason(), h.GetRate()})
	}
	for _, f := range st.GetFollow() {
		out.Follow = append(out.Follow, placementFollow{f.GetNode(), nonNil(f.GetHinted()), nonNil(f.GetMissing())})
	}
	for _, r := range st.GetRegions() {
		out.Regions = append(out.Regions, regionJSON{r.GetRegion(), r.GetLeader(), r.GetTerm(), r.GetGeneration(), r.GetNodes(), r.GetHinted(), r.GetFollowing()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func writePlacementTable(w io.Writer, st *adminpb.PlacementStatusResponse) error {
	if !st.GetEnabled() {
		_, err := fmt.Fprintf(w, "%s runs no placement group (no region)\n", st.GetNode())
		return err
	}
	fmt.Fprintf(w, "as seen from %s (region %s, %s); hints generation %d\n\n", st.GetNode(), st.GetRegion(), st.GetState(), st.GetGeneration())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tLEADER\tTERM\tGENERATION\tNODES\tHINTED COPIES HELD")
	for _, r := range st.GetRegions() {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d/%d\n", r.GetRegion(), dash(r.GetLeader()), r.GetTerm(), r.GetGeneration(), r.GetNodes(), r.GetFollowing(), r.GetHinted())
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tCOPIES\tNODES\tREASON\tRATE/S")
	for _, h := range st.GetHints() {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%.2f\n", h.GetModel(), h.GetCopies(), strings.Join(h.GetNodes(), ","), h.GetReason(), h.GetRate())
	}
	if len(st.GetHints()) == 0 {
		fmt.Fprintln(tw, "(no hints)\t\t\t\t")
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tHINTED\tMISSING")
	for _, f := range st.GetFollow() {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", f.GetNode(), len(f.GetHinted()), dash(strings.Join(f.GetMissing(), ",")))
	}
	return tw.Flush()
}
