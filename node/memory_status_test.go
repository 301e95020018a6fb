package node

import (
	"testing"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
)

// A loaded fast-form model is reported in two tiers, per model and in
// total, over HTTP and the admin API: charged its anonymous memory, its
// mapped weights apart and larger.
func TestNodeStatusReportsTwoTiers(t *testing.T) {
	tn := startNode(t, nil) // the node loads the fast form by default
	push(t, tn.admin, "mobilenet", zooModel(t, "mobilenet_v1_1.0"))
	if _, err := tn.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mobilenet"}); err != nil {
		t.Fatalf("LoadModel: %v", err)
	}
	st := nodeStatusOf(t, tn).Memory
	if len(st.Models) != 1 || st.Models[0].State != "loaded" {
		t.Fatalf("memory status %+v, want one loaded model", st)
	}
	m := st.Models[0]
	if m.ChargedBytes <= 0 || m.MappedBytes <= m.ChargedBytes || st.ChargedBytes != m.ChargedBytes || st.MappedBytes != m.MappedBytes {
		t.Fatalf("memory status %+v: want charged > 0, mapped above it, totals equal to the one model", st)
	}
	resp, err := tn.admin.NodeStatus(adminCtx(t), &adminpb.NodeStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetMemory(); got.GetChargedBytes() != st.ChargedBytes || got.GetMappedBytes() != st.MappedBytes ||
		len(got.GetModels()) != 1 || got.GetModels()[0].GetMappedBytes() != m.MappedBytes {
		t.Fatalf("admin NodeStatus memory %+v, want %+v", got, st)
	}
}
