package node

import (
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"github.com/edgeserve/edgeserve/internal/testutil"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	peerpb "github.com/edgeserve/edgeserve/proto/peer/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

func inSite(site string) func(*Config, *Deps) {
	return func(c *Config, _ *Deps) { c.Cluster.Site, c.Cluster.Replicas = site, 2 }
}

// TestPushIsDurableOnTwoSites: a push is acknowledged once the model is
// stored on a second node, in another site when there is one.
func TestPushIsDurableOnTwoSites(t *testing.T) {
	a := clusterNodeWith(t, "a", "127.0.4.1", inSite("s1"))
	b := clusterNodeWith(t, "b", "127.0.4.2", inSite("s1"), a.cluster.g.Addr())
	c := clusterNodeWith(t, "c", "127.0.4.3", inSite("s2"), a.cluster.g.Addr())
	testutil.Eventually(t, "a sees b and c alive", func() bool {
		_, okb := a.member("b")
		_, okc := a.member("c")
		return okb && okc
	})
	info := push(t, a.admin, "mlp", zooModel(t, "tiny_mlp"))
	if got := info.GetStoredOn(); len(got) != 2 || got[0] != "a" || got[1] != "c" {
		t.Fatalf("stored on %v; want [a c] (the other site first)", got)
	}
	if _, _, err := c.store.ModelFile(testCtx(t), "mlp", "1"); err != nil {
		t.Fatalf("c does not hold the replica: %v", err)
	}
	if recs, _ := b.store.List(testCtx(t)); len(recs) != 0 {
		t.Fatalf("b holds %v; only two copies were asked for", recs)
	}
	// Gossip says where the bytes are: b, which has none, knows that a
	// forward-load at c (the replica) needs no transfer.
	testutil.Eventually(t, "b sees the bytes stored on a and c", func() bool {
		ma, _ := b.member("a")
		mc, _ := b.member("c")
		return ma.Stores("mlp:1") && mc.Stores("mlp:1")
	})
	rec := b.remoteRecord("mlp", "1")
	if rec == nil {
		t.Fatal("b's catalog lacks mlp:1")
	}
	for _, p := range b.peerCosts(fromCatalog(rec), time.Millisecond, b.cluster.g.Members()) {
		if p.Name == "c" && p.FetchTime != 0 {
			t.Fatalf("b predicts a transfer of %v to c, which stores the bytes", p.FetchTime)
		}
	}
}

// TestPushOnAClusterOfOne: with no peer the push stores the model here.
func TestPushOnAClusterOfOne(t *testing.T) {
	a := clusterNodeWith(t, "a", "127.0.4.4", inSite("s1"))
	info := push(t, a.admin, "mlp", zooModel(t, "tiny_mlp"))
	if got := info.GetStoredOn(); len(got) != 1 || got[0] != "a" {
		t.Fatalf("stored on %v; want [a]", got)
	}
}

// TestReplicateRefusesBadRecords: a malformed or incomplete record is
// refused with INVALID_ARGUMENT, and nothing is stored.
func TestReplicateRefusesBadRecords(t *testing.T) {
	a := clusterNode(t, "a", "127.0.4.5")
	good := &gossippb.ModelRecord{Name: "m", Version: 1, Digest: make([]byte, 32), SizeBytes: 10}
	cases := map[string][]byte{
		"not protobuf": {0xff, 0xff, 0xff},
		"no name":      mustMarshal(t, &gossippb.ModelRecord{Version: 1, Digest: make([]byte, 32), SizeBytes: 1}),
		"bad name":     mustMarshal(t, &gossippb.ModelRecord{Name: "../x", Version: 1, Digest: make([]byte, 32), SizeBytes: 1}),
		"short digest": mustMarshal(t, &gossippb.ModelRecord{Name: "m", Version: 1, Digest: []byte{1}, SizeBytes: 1}),
		"no size":      mustMarshal(t, &gossippb.ModelRecord{Name: "m", Version: 1, Digest: make([]byte, 32)}),
		"no version":   mustMarshal(t, &gossippb.ModelRecord{Name: "m", Digest: make([]byte, 32), SizeBytes: 1}),
	}
	if _, err := decodeReplicaRecord(mustMarshal(t, good)); err != nil {
		t.Fatalf("a good record: %v", err)
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := peerpb.NewPeerServiceClient(a.conn).Replicate(testCtx(t), &peerpb.ReplicateRequest{Record: body})
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("Replicate = %v; want INVALID_ARGUMENT", err)
			}
		})
	}
	if resp, err := a.admin.ListModels(adminCtx(t), &adminpb.ListModelsRequest{}); err != nil || len(resp.Models) != 0 {
		t.Fatalf("models after refused replicas: %v, %v", resp.GetModels(), err)
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzDecodeReplicaRecord(f *testing.F) {
	good, _ := proto.Marshal(&gossippb.ModelRecord{Name: "m", Version: 1, Digest: make([]byte, 32), SizeBytes: 10,
		Inputs: []*gossippb.TensorSpec{{Name: "x", Datatype: "FP32", Shape: []int64{1, 3}}}})
	f.Add(good)
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeReplicaRecord(b)
		if err == nil && (r.Name == "" || r.Version <= 0 || len(r.Digest) != 32 || r.SizeBytes <= 0) {
			t.Fatalf("accepted an incomplete record %v", r)
		}
	})
}
