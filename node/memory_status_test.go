package node

import (
	"fmt"
	"net/http"
	"strings"
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

// A request's miss runs in ONNX Runtime's shared arena, which keeps the
// memory the run freed: after a miss the node reports some as held, the
// same over HTTP, the admin API and the metrics. (The arena is the
// process's, so what other tests left in it is held too: no exact
// figure is asserted.)
func TestNodeStatusReportsHeldBytes(t *testing.T) {
	tn := startNode(t, nil)
	push(t, tn.admin, "mobilenet", zooModel(t, "mobilenet_v1_1.0"))
	req := zerosRequest(t, tn.infer, "mobilenet")
	// The first load is measured, in an arena of its own; once measured,
	// a request's miss loads into the shared arena.
	for i, step := range []string{"infer", "unload", "infer"} {
		var err error
		if step == "unload" {
			_, err = tn.admin.UnloadModel(adminCtx(t), &adminpb.UnloadModelRequest{Name: "mobilenet"})
		} else {
			_, err = tn.infer.ModelInfer(testCtx(t), req)
		}
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, step, err)
		}
	}
	nodeStatusOf(t, tn) // a first reading may grow the arena by its probe's run
	held := nodeStatusOf(t, tn).Memory.HeldBytes
	if held <= 0 {
		t.Fatalf("held %d bytes after a miss's run in the shared arena, want some", held)
	}
	resp, err := tn.admin.NodeStatus(adminCtx(t), &adminpb.NodeStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetMemory().GetHeldBytes(); got != held {
		t.Errorf("admin NodeStatus held %d, HTTP %d", got, held)
	}
	_, body := httpDo(t, http.DefaultClient, "GET", "http://"+tn.MetricsAddr()+"/metrics", "", "")
	if want := fmt.Sprintf("edgeserve_cache_held_bytes %g\n", float64(held)); !strings.Contains(body, want) {
		t.Errorf("metrics lack %q", want)
	}
}
