package node

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/internal/testutil"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	peerpb "github.com/edgeserve/edgeserve/proto/peer/v1"
	"github.com/edgeserve/edgeserve/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// clusterNode starts a node in region eu gossiping on ip with short
// timers, joining join when given.
func clusterNode(t testing.TB, name, ip string, join ...string) *testNode {
	t.Helper()
	return clusterNodeWith(t, name, ip, nil, join...)
}

// clusterNodeWith is clusterNode with mod applied last.
func clusterNodeWith(t testing.TB, name, ip string, mod func(*Config, *Deps), join ...string) *testNode {
	t.Helper()
	return startNode(t, func(c *Config, d *Deps) {
		defer func() {
			if mod != nil {
				mod(c, d)
			}
		}()
		c.Cluster.Name, c.Cluster.Region, c.Cluster.GossipAddr, c.Cluster.Join = name, "eu", ip+":0", join
		c.Cluster.PublishInterval = 20 * time.Millisecond
		c.Cluster.Replicas = 1 // a push stays where it was made, unless a test asks
		d.GossipTune = func(g *gossip.Config) {
			g.ReconnectInterval = 300 * time.Millisecond
			g.Profile, g.ProbeInterval, g.GossipInterval, g.PushPullInterval = "local", 200*time.Millisecond, 20*time.Millisecond, time.Second
			g.JoinRetryInterval, g.StateInterval = 50*time.Millisecond, 50*time.Millisecond
		}
	})
}

func listed(t *testing.T, n *testNode) map[string]*adminpb.ModelInfo {
	t.Helper()
	resp, err := n.admin.ListModels(adminCtx(t), &adminpb.ListModelsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*adminpb.ModelInfo{}
	for _, m := range resp.Models {
		out[m.Name+":"+m.Version] = m
	}
	return out
}

// TestCatalogAcrossNodes: a model pushed at one node is listed at another
// (stored there, not here); a load of it there fetches the bytes from the
// holder, verified, and then serves it; a delete at one node removes every
// copy.
func TestCatalogAcrossNodes(t *testing.T) {
	a := clusterNode(t, "a", "127.0.2.1")
	b := clusterNode(t, "b", "127.0.2.2", a.cluster.g.Addr())
	push(t, a.admin, "mlp", zooModel(t, "tiny_mlp"))
	testutil.Eventually(t, "b lists mlp as stored at a", func() bool {
		m := listed(t, b)["mlp:1"]
		return m != nil && m.StoredAt == "a" && m.Sha256 != ""
	})
	if m := listed(t, a)["mlp:1"]; m == nil || m.StoredAt != "" {
		t.Fatalf("a lists its own mlp as %+v", m)
	}
	if _, err := b.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
		t.Fatalf("load at b: %v", err)
	}
	if resp, err := b.infer.ModelInfer(testCtx(t), mlpRequest()); err != nil || param(resp, "edgeserve_route") != "hit" {
		t.Fatalf("infer at b: %v, route %q; want a hit", err, param(resp, "edgeserve_route"))
	}
	if m := listed(t, b)["mlp:1"]; m == nil || m.StoredAt != "" || m.Sha256 != listed(t, a)["mlp:1"].Sha256 {
		t.Fatalf("after the fetch b lists mlp as %+v; want stored here, same digest", m)
	}

	// Unloading is local: the model stays in the catalog.
	if _, err := b.admin.UnloadModel(adminCtx(t), &adminpb.UnloadModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	if _, _, deleted, ok := b.cluster.g.Model("mlp", 1); !ok || deleted {
		t.Fatalf("an unload at b deleted mlp:1 from the catalog (ok %v, deleted %v)", ok, deleted)
	}

	if _, err := b.admin.DeleteModel(adminCtx(t), &adminpb.DeleteModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "a deletes its copy", func() bool {
		recs, err := a.store.List(testCtx(t))
		return err == nil && len(recs) == 0 && len(listed(t, a)) == 0 && len(listed(t, b)) == 0
	})
}

// TestCorruptHolderIsSkippedAndRepaired: the nearest holder's copy is
// corrupt; the fetch detects it (nothing wrong is stored or served), uses
// the other holder, and the bad copy is repaired from a good one.
func TestCorruptHolderIsSkippedAndRepaired(t *testing.T) {
	a := clusterNode(t, "a", "127.0.2.5")
	c := clusterNode(t, "c", "127.0.2.6", a.cluster.g.Addr())
	push(t, a.admin, "mlp", zooModel(t, "tiny_mlp"))
	testutil.Eventually(t, "c sees mlp:1 in the catalog", func() bool { return listed(t, c)["mlp:1"] != nil })
	if _, err := c.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
		t.Fatalf("load at c (fetch from a): %v", err)
	}
	rec, path, err := a.store.ModelFile(testCtx(t), "mlp", "1")
	if err != nil {
		t.Fatal(err)
	}
	flipByte(t, path)
	b := clusterNode(t, "b", "127.0.2.7", a.cluster.g.Addr())
	testutil.Eventually(t, "b sees mlp:1 in the catalog", func() bool { return listed(t, b)["mlp:1"] != nil })
	if _, err := b.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
		t.Fatalf("load at b with a's copy corrupt: %v", err)
	}
	if resp, err := b.infer.ModelInfer(testCtx(t), mlpRequest()); err != nil || len(resp.Outputs) == 0 {
		t.Fatalf("infer at b: %v", err)
	}
	got, _, err := b.store.ModelFile(testCtx(t), "mlp", "1")
	if err != nil || got.Digest != rec.Digest {
		t.Fatalf("b stored %v, %v; want digest %v", got.Digest, err, rec.Digest)
	}
	testutil.Eventually(t, "a's copy is repaired", func() bool {
		_, _, err := a.store.ModelFile(testCtx(t), "mlp", "1")
		return err == nil
	})
	if err := a.store.(*store.Store).Verify(testCtx(t), rec.Digest); err != nil {
		t.Fatalf("a's repaired copy: %v", err)
	}
}

// flipByte corrupts one byte in the middle of a file.
func flipByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPeerCallsNeedTheClusterSecret: with a secret configured, a peer call
// without it gets nothing.
func TestPeerCallsNeedTheClusterSecret(t *testing.T) {
	a := startNode(t, func(c *Config, d *Deps) {
		c.Cluster.Name, c.Cluster.Region, c.Cluster.GossipAddr, c.Cluster.Secret = "a", "eu", "127.0.2.8:0", "s3cret"
	})
	push(t, a.admin, "mlp", zooModel(t, "tiny_mlp"))
	rec, _, err := a.store.ModelFile(testCtx(t), "mlp", "1")
	if err != nil {
		t.Fatal(err)
	}
	fetch := func(ctx context.Context) error {
		s, err := peerpb.NewPeerServiceClient(a.conn).FetchBlob(ctx, &peerpb.FetchBlobRequest{Sha256: rec.Digest[:]})
		if err != nil {
			return err
		}
		_, err = s.Recv()
		return err
	}
	if err := fetch(testCtx(t)); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("fetch without the secret = %v; want UNAUTHENTICATED", err)
	}
	bad := metadata.AppendToOutgoingContext(testCtx(t), clusterSecretKey, "wrong")
	if err := fetch(bad); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("fetch with a wrong secret = %v; want UNAUTHENTICATED", err)
	}
	good := metadata.AppendToOutgoingContext(testCtx(t), clusterSecretKey, "s3cret")
	if err := fetch(good); err != nil {
		t.Fatalf("fetch with the secret: %v", err)
	}
}

// TestClusterViewOverHTTP: /v2/cluster lists both nodes with the model
// one of them loaded.
func TestClusterViewOverHTTP(t *testing.T) {
	a := clusterNode(t, "a", "127.0.2.3")
	b := clusterNode(t, "b", "127.0.2.4", a.cluster.g.Addr())
	push(t, a.admin, "tiny", zooModel(t, "tiny_mlp"))
	if _, err := a.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "tiny"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "b's /v2/cluster shows a with tiny:1 loaded", func() bool {
		resp, err := http.Get("http://" + b.HTTPAddr() + "/v2/cluster")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var v clusterView
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || !v.Enabled || v.Node != "b" || len(v.Members) != 2 {
			return false
		}
		for _, m := range v.Members {
			if m.Name == "a" {
				return m.Health == gossip.Alive && m.Has("tiny:1") && m.Services.GRPCAddr == a.GRPCAddr() && m.State.MemoryBudgetBytes == 256<<20
			}
		}
		return false
	})
	testutil.Eventually(t, "b's metrics carry the gossip and cluster series", func() bool {
		_, body := httpDo(t, http.DefaultClient, "GET", "http://"+b.MetricsAddr()+"/metrics", "", "")
		return strings.Contains(body, `edgeserve_cluster_members{health="alive",region="eu"} 2`) &&
			strings.Contains(body, `edgeserve_cluster_loaded_models{node="a"} 1`) &&
			strings.Contains(body, "edgeserve_cluster_rtt_seconds{node=\"a\"}") &&
			strings.Contains(body, "edgeserve_gossip_sent_bytes_total") &&
			strings.Contains(body, `edgeserve_gossip_payloads_total{kind="state",result="applied"}`)
	})
}

// TestClusterOfOne: without region or join the node gossips nothing.
func TestClusterOfOne(t *testing.T) {
	n := startNode(t, nil)
	if n.cluster != nil {
		t.Fatal("a node without region or join started gossip")
	}
	st, err := n.admin.ClusterStatus(adminCtx(t), &adminpb.ClusterStatusRequest{})
	if err != nil || st.Enabled || len(st.Members) != 0 {
		t.Fatalf("ClusterStatus = %+v, %v; want a disabled view", st, err)
	}
}

// TestClusterConfigRules: off loopback a gossip key (or insecure_cluster)
// is required, checked before anything binds.
func TestClusterConfigRules(t *testing.T) {
	c := DefaultConfig(t.TempDir())
	c.Server.AdminToken = testToken
	c.Cluster.Region = "eu"
	c.Cluster.GossipAddr = "192.0.2.10:7946"
	if err := c.validate(); err == nil || !strings.Contains(err.Error(), "gossip key") {
		t.Fatalf("validate = %v; want a refusal naming the gossip key", err)
	}
	c.Cluster.InsecureCluster = true
	if err := c.validate(); err == nil || !strings.Contains(err.Error(), "cluster secret") {
		t.Fatalf("validate = %v; want a refusal naming the cluster secret (peer calls beyond loopback)", err)
	}
	c.Cluster.Secret = "s3cret"
	if err := c.validate(); err != nil {
		t.Fatalf("insecure cluster with a secret: %v", err)
	}
	c.Cluster.InsecureCluster, c.Cluster.GossipKey = false, "bm90LWEta2V5"
	if err := c.validate(); err == nil || !strings.Contains(err.Error(), "16, 24 or 32") {
		t.Fatalf("a short key: %v", err)
	}
	c.Cluster.GossipKey = "MDEyMzQ1Njc4OWFiY2RlZg==" // 16 bytes
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "Raft beyond loopback needs mutual TLS") {
		t.Fatalf("a 16-byte key, Raft in the clear beyond loopback: %v", err)
	}
	c.Cluster.RaftAddr = "127.0.0.1:8300" // this host's Raft only: no TLS needed
	if err := c.validate(); err != nil {
		t.Fatalf("a 16-byte key: %v", err)
	}
	c.Cluster.GossipProfile = "moon"
	if err := c.validate(); err == nil {
		t.Fatal("an unknown gossip profile was accepted")
	}
}

// TestFetchBlobRefusesBadRequests: a malformed digest, a blob not held and
// an offset past the end are refused with their own codes.
func TestFetchBlobRefusesBadRequests(t *testing.T) {
	a := clusterNode(t, "a", "127.0.2.9")
	push(t, a.admin, "mlp", zooModel(t, "tiny_mlp"))
	rec, _, err := a.store.ModelFile(testCtx(t), "mlp", "1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		req  *peerpb.FetchBlobRequest
		want codes.Code
	}{
		{"short digest", &peerpb.FetchBlobRequest{Sha256: []byte{1, 2, 3}}, codes.InvalidArgument},
		{"not held", &peerpb.FetchBlobRequest{Sha256: make([]byte, 32)}, codes.NotFound},
		{"offset past the end", &peerpb.FetchBlobRequest{Sha256: rec.Digest[:], Offset: rec.SizeBytes + 1}, codes.FailedPrecondition},
		{"negative offset", &peerpb.FetchBlobRequest{Sha256: rec.Digest[:], Offset: -1}, codes.FailedPrecondition},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := peerpb.NewPeerServiceClient(a.conn).FetchBlob(testCtx(t), tc.req)
			if err == nil {
				_, err = s.Recv()
			}
			if status.Code(err) != tc.want {
				t.Fatalf("FetchBlob = %v; want %v", err, tc.want)
			}
		})
	}
}
