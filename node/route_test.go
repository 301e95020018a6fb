package node

import (
	"context"
	"encoding/json"
	"github.com/edgeserve/edgeserve/gossip"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc/metadata"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/placement/cache"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
)

func param(resp *pb.ModelInferResponse, key string) string {
	return resp.GetParameters()[key].GetStringParam()
}

// loadedAt waits until from sees model loaded at node.
func loadedAt(t testing.TB, from *testNode, node, model string) {
	t.Helper()
	testutil.Eventually(t, from.name()+" sees "+model+" loaded at "+node, func() bool {
		m, ok := from.member(node)
		return ok && m.Has(model)
	})
}

// TestForwardToPeerWithModelLoaded: a request for a model loaded only on a
// near peer is forwarded there (no load here), and the reply says so.
func TestForwardToPeerWithModelLoaded(t *testing.T) {
	a := clusterNode(t, "a", "127.0.3.1")
	b := clusterNode(t, "b", "127.0.3.2", a.cluster.g.Addr())
	push(t, a.admin, "mlp", zooModel(t, "tiny_mlp"))
	if _, err := a.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	loadedAt(t, b, "a", "mlp:1")
	resp, err := b.infer.ModelInfer(testCtx(t), mlpRequest())
	if err != nil {
		t.Fatal(err)
	}
	if param(resp, "edgeserve_route") != "forward-hit" || param(resp, "edgeserve_served_by") != "a" || len(resp.Outputs) == 0 {
		t.Fatalf("route %q served by %q; want forward-hit by a", param(resp, "edgeserve_route"), param(resp, "edgeserve_served_by"))
	}
	if b.cache.Resident("mlp:1") {
		t.Fatal("b loaded the model it forwarded")
	}
	if recs, _ := b.store.List(testCtx(t)); len(recs) != 0 {
		t.Fatalf("b fetched the bytes of a model it forwarded: %v", recs)
	}
	// At a itself the same request is a hit.
	resp, err = a.infer.ModelInfer(testCtx(t), mlpRequest())
	if err != nil || param(resp, "edgeserve_route") != "hit" || param(resp, "edgeserve_served_by") != "a" {
		t.Fatalf("at a: %v, route %q", err, param(resp, "edgeserve_route"))
	}
	// The demand each gossips counts each client request once, where it
	// arrived: the forwarded one at b, a's own at a.
	if ra, rb := a.stats.requests()["mlp:1"], b.stats.requests()["mlp:1"]; ra != 1 || rb != 1 {
		t.Fatalf("demand counted at a %d, at b %d; want 1 and 1", ra, rb)
	}
}

// TestForwardFailureFallsBackHere: the peer chosen fails the forward (it
// refuses requests while gossip still says it is alive); the request is
// served here.
func TestForwardFailureFallsBackHere(t *testing.T) {
	a := clusterNode(t, "a", "127.0.3.3")
	b := clusterNode(t, "b", "127.0.3.4", a.cluster.g.Addr())
	path := zooModel(t, "tiny_mlp")
	push(t, a.admin, "mlp", path)
	push(t, b.admin, "mlp", path) // same bytes, same version: b can load without a
	if _, err := a.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	loadedAt(t, b, "a", "mlp:1")
	a.draining.Store(true) // a refuses every request with UNAVAILABLE
	resp, err := b.infer.ModelInfer(testCtx(t), mlpRequest())
	if err != nil {
		t.Fatalf("infer at b with a's server gone: %v", err)
	}
	if param(resp, "edgeserve_route") != "fallback" || param(resp, "edgeserve_served_by") != "b" {
		t.Fatalf("route %q served by %q; want fallback by b", param(resp, "edgeserve_route"), param(resp, "edgeserve_served_by"))
	}
}

// TestForwardedRequestsNeedAPeer: a client cannot mark its request as
// forwarded (to keep it from being routed) without the cluster's
// credentials.
func TestForwardedRequestsNeedAPeer(t *testing.T) {
	a := startNode(t, func(c *Config, d *Deps) {
		c.Cluster.Name, c.Cluster.Region, c.Cluster.GossipAddr, c.Cluster.Secret = "a", "eu", "127.0.3.5:0", "s3cret"
	})
	push(t, a.admin, "mlp", zooModel(t, "tiny_mlp"))
	ctx := metadataCtx(t, forwardedByKey, "x")
	if _, err := a.infer.ModelInfer(ctx, mlpRequest()); err == nil {
		t.Fatal("a request marked forwarded without the cluster secret was served")
	}
	ctx = metadataCtx(t, forwardedByKey, "x", clusterSecretKey, "s3cret")
	if _, err := a.infer.ModelInfer(ctx, mlpRequest()); err != nil {
		t.Fatalf("a forwarded request with the secret: %v", err)
	}
}

func metadataCtx(t *testing.T, kv ...string) context.Context {
	return metadata.AppendToOutgoingContext(testCtx(t), kv...)
}

// TestLoadHereWhenThePeerIsFar: the model is loaded only on a peer 80 ms
// away, and its bytes are here: loading it here is predicted cheaper, so
// the request does not go to the peer.
func TestLoadHereWhenThePeerIsFar(t *testing.T) {
	far := apart(80 * time.Millisecond)
	withDelay := func(c *Config, d *Deps) { d.GossipDelay = far }
	a := clusterNodeWith(t, "a", "127.0.3.6", withDelay)
	b := clusterNodeWith(t, "b", "127.0.3.7", withDelay, a.cluster.g.Addr())
	path := zooModel(t, "tiny_mlp")
	push(t, a.admin, "mlp", path)
	push(t, b.admin, "mlp", path)
	if _, err := a.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	waitFar(t, b)
	resp, err := b.infer.ModelInfer(testCtx(t), mlpRequest())
	if err != nil {
		t.Fatal(err)
	}
	if param(resp, "edgeserve_route") != "load" || param(resp, "edgeserve_served_by") != "b" {
		t.Fatalf("route %q served by %q; want load at b", param(resp, "edgeserve_route"), param(resp, "edgeserve_served_by"))
	}
}

// TestForwardRatherThanEvictHot: this node's memory holds a model in use;
// a request for another model, loaded on a peer 80 ms away, would be
// cheaper to load here, but only by evicting the model in use: it is
// forwarded, and the hot model stays. Once the other model's demand here
// makes its forwards cost more than a load and the hot model's misses, it
// is loaded here instead.
func TestForwardRatherThanEvictHot(t *testing.T) {
	a, b := farPair(t, "127.0.3.8", "127.0.3.9", func(c *Config, d *Deps) {
		d.Loader = chargedLoader{realLoader(t), 6 << 20}
		c.Cache.MemoryBudgetBytes = 10 << 20 // one model fits
	}, "mlp", "hot")
	if _, err := a.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	// b has loaded mlp before (so it knows what mlp takes), then unloaded it.
	if _, err := b.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.admin.UnloadModel(adminCtx(t), &adminpb.UnloadModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "mlp unloaded at b", func() bool { return !b.cache.Resident("mlp:1") })
	hot := mlpRequest()
	hot.ModelName = "hot"
	if _, err := b.infer.ModelInfer(testCtx(t), hot); err != nil { // loads hot at b, and uses it
		t.Fatal(err)
	}
	waitFar(t, b)
	resp, err := b.infer.ModelInfer(testCtx(t), mlpRequest())
	if err != nil {
		t.Fatal(err)
	}
	if param(resp, "edgeserve_route") != "forward-hit" || !b.cache.Resident("hot:1") {
		t.Fatalf("route %q, hot still loaded: %v; want forward-hit, hot kept", param(resp, "edgeserve_route"), b.cache.Resident("hot:1"))
	}
	// Once mlp's demand at b (each request counts at b, where it arrived,
	// in the rates b gossips) makes its forwards cost more than its load
	// and hot's misses (route.WorthEvicting), hot no longer holds its
	// place: a request for mlp loads it here.
	routes := askUntilLoaded(t, b, 20)
	if last := len(routes) - 1; last < 0 || routes[last] != "load" || b.cache.Resident("hot:1") || slices.ContainsFunc(routes[:last], func(r string) bool { return r != "forward-hit" }) {
		t.Fatalf("routes %v, hot still loaded: %v; want forwards, then a load at b in hot's place", routes, b.cache.Resident("hot:1"))
	}
	if b.rateHere("mlp:1") <= 0 {
		t.Fatal("mlp loaded at b before b knew any demand for it")
	}
}

// TestFirstLoadEstimatedFromTheLoadsHere: a node whose loads take 400 ms
// estimates a model it never loaded at its own speed, not at the size
// formula's (tens of ms for tiny_mlp), and so forwards a request for it
// to a peer 80 ms away that has it loaded rather than load it here.
func TestFirstLoadEstimatedFromTheLoadsHere(t *testing.T) {
	_, b := slowPair(t, "127.0.3.93", "127.0.3.94")
	rec, err := b.resolve(testCtx(t), "mlp", "1")
	if err != nil {
		t.Fatal(err)
	}
	if got := b.loadTime(rec, cache.Facts{}); got < 300*time.Millisecond {
		t.Fatalf("b estimates mlp's first load at %v after loading other (as large) in 400 ms or more", got)
	}
	waitFar(t, b)
	resp, err := b.infer.ModelInfer(testCtx(t), mlpRequest())
	if err != nil {
		t.Fatal(err)
	}
	if r := param(resp, "edgeserve_route"); r != "forward-hit" || b.cache.Resident("mlp:1") {
		t.Fatalf("route %q, mlp loaded at b: %v; want a forward to a", r, b.cache.Resident("mlp:1"))
	}
}

// TestCopyBehindAForward: b's loads take 400 ms, a forward to a (80 ms
// away) much less, so each request for mlp at b goes to a; once b's
// demand for mlp pays for a copy (route.WorthACopy), b loads one in the
// background while it still forwards, and later requests hit it. No
// request waits for that load.
func TestCopyBehindAForward(t *testing.T) {
	_, b := slowPair(t, "127.0.3.95", "127.0.3.96")
	waitFar(t, b)
	routes := askUntilLoaded(t, b, 100)
	if slices.ContainsFunc(routes, func(r string) bool { return r != "forward-hit" }) {
		t.Fatalf("routes %v: want only forwards while the copy loads", routes)
	}
	testutil.Eventually(t, "b's copy of mlp loaded and counted", func() bool {
		return b.cache.Resident("mlp:1") && promtest.ToFloat64(b.metrics.copies) == 1
	})
	if len(routes) < 2 {
		t.Fatalf("b copied mlp after %d request(s): its demand was not weighed", len(routes))
	}
	resp, err := b.infer.ModelInfer(testCtx(t), mlpRequest())
	if err != nil {
		t.Fatal(err)
	}
	if r := param(resp, "edgeserve_route"); r != "hit" {
		t.Fatalf("after the copy: route %q, want a hit", r)
	}
	if f, _ := b.cache.Facts("mlp:1"); f.Misses != 0 {
		t.Fatalf("a request waited for mlp's load at b: %+v", f)
	}
}

// TestCopyBehindAForwardKeepsTheLastCopy: a copy behind a forward is a
// load no request waits for: it does not take the place of the cluster's
// last copy of a model in use (its next request would wait for a load),
// and does take the place of a model that a peer holds.
func TestCopyBehindAForwardKeepsTheLastCopy(t *testing.T) {
	path := zooModel(t, "tiny_mlp")
	one := func(c *Config, d *Deps) {
		roomFor(t, path, 1, 0)(c, d)
		d.PreloadIdle = time.Hour
	}
	a := clusterNodeWith(t, "a", "127.0.3.97", one)
	b := clusterNodeWith(t, "b", "127.0.3.98", one, a.cluster.g.Addr())
	for _, n := range []*testNode{a, b} {
		push(t, n.admin, "mlp", path)
		push(t, n.admin, "other", path)
	}
	req := mlpRequest()
	req.ModelName = "other"
	if _, err := b.infer.ModelInfer(testCtx(t), req); err != nil {
		t.Fatal(err)
	}
	rec, err := b.resolve(testCtx(t), "mlp", "1")
	if err != nil {
		t.Fatal(err)
	}
	copied := func() bool {
		b.cluster.mu.Lock()
		defer b.cluster.mu.Unlock()
		return b.cluster.loads["mlp:1"] == 0
	}
	time.Sleep(minPreloadIdle) // other is idle for long enough to go, but for being the last copy
	b.copyBehind(rec)
	testutil.Eventually(t, "b's copy of mlp given up", copied)
	if b.cache.Resident("mlp:1") || !b.cache.Resident("other:1") || promtest.ToFloat64(b.metrics.copies) != 0 {
		t.Fatalf("mlp resident %v, other resident %v: the copy took the cluster's only copy of other",
			b.cache.Resident("mlp:1"), b.cache.Resident("other:1"))
	}
	if _, err := a.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "other"}); err != nil {
		t.Fatal(err)
	}
	loadedAt(t, b, "a", "other:1")
	b.copyBehind(rec)
	testutil.Eventually(t, "b's copy of mlp in the place of other, held at a", func() bool {
		return b.cache.Resident("mlp:1") && !b.cache.Resident("other:1") && promtest.ToFloat64(b.metrics.copies) == 1
	})
}

// TestRequestLoadEvictsWhatAPeerHolds: a load that must evict (a
// request's, or an operator's as here) takes a model a peer holds (its
// next request here is a forward) before the cluster's last copy of a
// model in use, though that one was used less recently
// (cache.SetVictimPreference, wired from gossip).
func TestRequestLoadEvictsWhatAPeerHolds(t *testing.T) {
	path := zooModel(t, "tiny_mlp")
	slow := roomFor(t, path, 2, 100*time.Millisecond)
	a := clusterNodeWith(t, "a", "127.0.3.99", slow)
	b := clusterNodeWith(t, "b", "127.0.3.100", slow, a.cluster.g.Addr())
	for _, m := range []string{"sole", "shared", "third"} {
		push(t, b.admin, m, path)
	}
	push(t, a.admin, "shared", path)
	infer := func(model, route string) {
		t.Helper()
		req := mlpRequest()
		req.ModelName = model
		resp, err := b.infer.ModelInfer(testCtx(t), req)
		if err != nil {
			t.Fatal(err)
		}
		if r := param(resp, "edgeserve_route"); r != route {
			t.Fatalf("%s at b: route %q, want %q", model, r, route)
		}
	}
	infer("sole", "load") // both loaded at b, sole the less recently used
	infer("shared", "load")
	if _, err := a.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "shared"}); err != nil {
		t.Fatal(err)
	}
	loadedAt(t, b, "a", "shared:1")
	testutil.Eventually(t, "b knows its RTT to a", func() bool { _, ok := b.cluster.g.RTT("a"); return ok })
	// An operator's load makes room as a request's load does (the router
	// would forward a request to a, which has room: the decline).
	if _, err := b.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "third"}); err != nil {
		t.Fatal(err)
	}
	if !b.cache.Resident("sole:1") || b.cache.Resident("shared:1") {
		t.Fatalf("sole resident %v, shared resident %v: want shared (held at a) evicted, the last copy of sole kept",
			b.cache.Resident("sole:1"), b.cache.Resident("shared:1"))
	}
}

// roomFor sets a node's memory to hold n models of path's size, each
// charged 4 MiB (the size estimate too), its loads wait longer by wait.
func roomFor(t *testing.T, path string, n int, wait time.Duration) func(*Config, *Deps) {
	const charge = 4 << 20
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *Config, d *Deps) {
		c.Cache.MemoryBudgetBytes = int64(n)*charge + charge/2
		c.Cache.SizeHintFactor = float64(charge) / float64(st.Size())
		d.Loader = chargedLoader{slowLoader{realLoader(t), wait}, charge}
	}
}

// slowPair starts a and b 80 ms apart (gossip), both storing mlp and
// other (tiny_mlp), b's loads 400 ms slower; a has mlp loaded, b has
// loaded other, so b knows how slowly it loads.
func slowPair(t *testing.T, ipA, ipB string) (a, b *testNode) {
	t.Helper()
	a, b = farPair(t, ipA, ipB, func(_ *Config, d *Deps) { d.Loader = slowLoader{realLoader(t), 400 * time.Millisecond} }, "mlp", "other")
	if _, err := a.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "other"}); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// askUntilLoaded sends b a request for mlp every publish interval (the
// rates move) until mlp is loaded at b or n were sent, and returns their
// routes.
func askUntilLoaded(t *testing.T, b *testNode, n int) []string {
	t.Helper()
	var routes []string
	for len(routes) < n && !b.cache.Resident("mlp:1") {
		resp, err := b.infer.ModelInfer(testCtx(t), mlpRequest())
		if err != nil {
			t.Fatal(err)
		}
		routes = append(routes, param(resp, "edgeserve_route"))
		time.Sleep(30 * time.Millisecond)
	}
	return routes
}

// farPair starts a and b 80 ms apart (gossip), b further set by mod, and
// pushes each of models (tiny_mlp) to both.
func farPair(t *testing.T, ipA, ipB string, mod func(*Config, *Deps), models ...string) (a, b *testNode) {
	t.Helper()
	far := apart(80 * time.Millisecond)
	a = clusterNodeWith(t, "a", ipA, func(c *Config, d *Deps) { d.GossipDelay = far })
	b = clusterNodeWith(t, "b", ipB, func(c *Config, d *Deps) {
		d.GossipDelay = far
		mod(c, d)
	}, a.cluster.g.Addr())
	path := zooModel(t, "tiny_mlp")
	for _, n := range []*testNode{a, b} {
		for _, m := range models {
			push(t, n.admin, m, path)
		}
	}
	return a, b
}

// slowLoader waits after each load, as a slower machine's loads take.
type slowLoader struct {
	runtime.Loader
	wait time.Duration
}

func (s slowLoader) Load(ctx context.Context, src runtime.Source) (runtime.Model, error) {
	m, err := s.Loader.Load(ctx, src)
	if err != nil {
		return nil, err
	}
	select {
	case <-time.After(s.wait):
		return m, nil
	case <-ctx.Done():
		m.Close()
		return nil, ctx.Err()
	}
}

// TestHTTPRequestIsForwarded: an HTTP request for a model loaded only on a
// peer is forwarded too, and answers with the peer's outputs.
func TestHTTPRequestIsForwarded(t *testing.T) {
	a := clusterNode(t, "a", "127.0.3.10")
	b := clusterNode(t, "b", "127.0.3.11", a.cluster.g.Addr())
	push(t, a.admin, "mlp", zooModel(t, "tiny_mlp"))
	if _, err := a.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	loadedAt(t, b, "a", "mlp:1")
	body := `{"inputs":[{"name":"input","shape":[1,16],"datatype":"FP32","data":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}]}`
	var direct, forwarded struct {
		Parameters map[string]string `json:"parameters"`
		Outputs    []struct {
			Name string    `json:"name"`
			Data []float64 `json:"data"`
		} `json:"outputs"`
	}
	for _, c := range []struct {
		n   *testNode
		out any
	}{{a, &direct}, {b, &forwarded}} {
		status, resp := httpDo(t, http.DefaultClient, "POST", "http://"+c.n.HTTPAddr()+"/v2/models/mlp/infer", "", body)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", c.n.name(), status, resp)
		}
		if err := json.Unmarshal([]byte(resp), c.out); err != nil {
			t.Fatal(err)
		}
	}
	if forwarded.Parameters["edgeserve_route"] != "forward-hit" || forwarded.Parameters["edgeserve_served_by"] != "a" {
		t.Fatalf("b answered with parameters %v; want forward-hit by a", forwarded.Parameters)
	}
	if direct.Parameters["edgeserve_route"] != "hit" || len(forwarded.Outputs) != 1 || len(direct.Outputs) != 1 ||
		!slices.Equal(forwarded.Outputs[0].Data, direct.Outputs[0].Data) || len(direct.Outputs[0].Data) == 0 {
		t.Fatalf("forwarded outputs %v, direct %v (%v)", forwarded.Outputs, direct.Outputs, direct.Parameters)
	}
}

// TestPeerDiesDuringForward: the peer a request was forwarded to dies
// while it runs the request; the request still succeeds, here, within its
// deadline.
func TestPeerDiesDuringForward(t *testing.T) {
	gl := &gatedLoader{Loader: realLoader(t), entered: make(chan struct{}, 4), gate: make(chan struct{})}
	a := clusterNodeWith(t, "a", "127.0.3.12", func(c *Config, d *Deps) { d.Loader = gl })
	b := clusterNode(t, "b", "127.0.3.13", a.cluster.g.Addr())
	path := zooModel(t, "tiny_mlp")
	push(t, a.admin, "mlp", path)
	push(t, b.admin, "mlp", path)
	if _, err := a.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	loadedAt(t, b, "a", "mlp:1")
	type answer struct {
		route, by string
		err       error
	}
	done := make(chan answer, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		resp, err := b.infer.ModelInfer(ctx, mlpRequest())
		done <- answer{param(resp, "edgeserve_route"), param(resp, "edgeserve_served_by"), err}
	}()
	<-gl.entered // the forwarded request runs at a
	a.grpcSrv.Stop()
	got := <-done
	close(gl.gate)
	if err := <-a.done; err == nil {
		t.Log("a's Run ended without an error after its server was stopped")
	}
	a.done = nil
	if got.err != nil || got.route != "fallback" || got.by != "b" {
		t.Fatalf("answer %+v; want success by fallback at b", got)
	}
	if ctx.Err() != nil {
		t.Fatal("answered only after the deadline")
	}
}

// apart is a gossip delay of rtt between any two different addresses
// (each direction half).
func apart(rtt time.Duration) func(from, to string) time.Duration {
	return func(from, to string) time.Duration {
		if h, _, _ := strings.Cut(from, ":"); strings.HasPrefix(to, h+":") {
			return 0
		}
		return rtt / 2
	}
}

// waitFar waits until b sees mlp:1 loaded at a and predicts a 80 ms away.
func waitFar(t *testing.T, b *testNode) {
	t.Helper()
	loadedAt(t, b, "a", "mlp:1")
	testutil.Eventually(t, "b predicts a 80 ms away", func() bool {
		rtt, ok := b.cluster.g.RTT("a")
		return ok && rtt > 60*time.Millisecond
	})
}

// member is a live member by name, as n sees it.
func (n *Node) member(name string) (gossip.Member, bool) {
	for _, m := range n.cluster.g.Members() {
		if m.Name == name && m.Health == gossip.Alive {
			return m, true
		}
	}
	return gossip.Member{}, false
}
