package replay_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/client"
	"github.com/edgeserve/edgeserve/internal/replay"
	"github.com/edgeserve/edgeserve/internal/testnode"
	"github.com/edgeserve/edgeserve/internal/testutil"
)

// dialLog records the address of every connection a replay opens.
type dialLog struct {
	mu    sync.Mutex // guards addrs
	addrs []string
}

func (d *dialLog) dial(ctx context.Context, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
}

func (d *dialLog) dialled() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := slices.Clone(d.addrs)
	slices.Sort(out)
	return slices.Compact(out)
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// push uploads the zoo model zooName as name to the node at addr.
func push(t *testing.T, addr, name, zooName string) {
	t.Helper()
	cfg := client.DefaultConfig()
	cfg.Addrs = []string{addr}
	c, err := client.Dial(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.PushFile(testCtx(t), client.Model{Name: name}, testnode.ZooFile(t, zooName), nil); err != nil {
		t.Fatal(err)
	}
}

// TestReplayAgainstCluster: two real nodes in a cluster; the replay is
// given node a and a dead address at site eu-1, and not node b. Every
// request is answered (those first sent to the dead address by a, on
// retry); only the given addresses are ever dialled, never b's, though a
// knows it and forwards to it; the routes add up to the answers and each
// node's own routes to what it served itself.
func TestReplayAgainstCluster(t *testing.T) {
	a := testnode.StartMember(t, "a", "127.0.4.1", "eu", "eu-1")
	b := testnode.StartMember(t, "b", "127.0.4.2", "eu", "eu-2", a.GossipAddr)
	push(t, a.GRPCAddr, "adder", "add_fp32")
	push(t, b.GRPCAddr, "mlp", "tiny_mlp")
	dead := testutil.FreeAddr(t)

	cfg := replay.DefaultConfig()
	cfg.Nodes = []replay.Node{{Site: "eu-1", Addr: a.GRPCAddr}, {Site: "eu-1", Addr: dead}}
	cfg.Speed, cfg.Concurrency, cfg.RequestTimeout = 0, 4, 20*time.Second
	var log dialLog
	var progress atomic.Int64
	s, err := replay.Open(cfg, replay.Deps{Dialer: log.dial, Progress: func(n int) { progress.Add(int64(n)) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	testutil.Eventually(t, "a serves both models", func() bool {
		names, err := s.Models(testCtx(t))
		return err == nil && slices.Equal(names, []string{"adder", "mlp"})
	})

	var reqs []replay.Request
	for i := range 40 {
		reqs = append(reqs, replay.Request{At: time.Duration(i) * time.Millisecond,
			Model: []string{"adder", "mlp"}[i%2], Site: []string{"eu-1", "eu-2", ""}[i%3]})
	}
	rep, err := s.Run(testCtx(t), reqs)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Planned != 40 || rep.Sent != 40 || rep.OK != 40 || rep.SuccessRate != 1 || rep.Stopped != "" || progress.Load() != 40 {
		t.Fatalf("report %+v (progress %d); want all 40 answered", rep, progress.Load())
	}
	na, nd := rep.Nodes[0], rep.Nodes[1]
	if nd.First == 0 || nd.Failed != nd.First || rep.Retried != nd.First || rep.Recovered != nd.First || na.Answered != 40 {
		t.Fatalf("nodes %+v, retried %d, recovered %d: want every request first sent to the dead address answered by a",
			rep.Nodes, rep.Retried, rep.Recovered)
	}
	checkRoutes(t, rep, map[string]string{a.GRPCAddr: "a"})
	t.Logf("routes %v, served by %v", rep.Routes, rep.ServedBy)

	if got := log.dialled(); slices.ContainsFunc(got, func(x string) bool { return x != a.GRPCAddr && x != dead }) || !slices.Contains(got, a.GRPCAddr) {
		t.Fatalf("dialled %v; want only the given %s and %s (never b at %s)", got, a.GRPCAddr, dead, b.GRPCAddr)
	}

	_, err = s.Run(testCtx(t), []replay.Request{{Model: "adder"}, {Model: "nope"}})
	if err == nil || !strings.Contains(err.Error(), "does not serve 1 of the trace's 2 models: nope") {
		t.Fatalf("a replay of an unknown model: %v", err)
	}
}

// checkRoutes: the routes of answered requests add up to the answers, and
// at each node (by address, with its name in names) the requests it
// served itself (hit, load, fallback, hedge) are those it says it served.
func checkRoutes(t *testing.T, rep *replay.Report, names map[string]string) {
	t.Helper()
	sum := func(m map[string]int) (n int) {
		for _, v := range m {
			n += v
		}
		return n
	}
	if sum(rep.Routes) != rep.OK || sum(rep.ServedBy) != rep.OK || rep.Routes["none"] != 0 {
		t.Fatalf("routes %v, served by %v: want them to add up to the %d answers", rep.Routes, rep.ServedBy, rep.OK)
	}
	for _, n := range rep.Nodes {
		self := n.Routes["hit"] + n.Routes["load"] + n.Routes["fallback"] + n.Routes["hedge"]
		if name, ok := names[n.Addr]; ok && (self != n.ServedBy[name] || n.Answered-self != sum(n.ServedBy)-n.ServedBy[name]) {
			t.Fatalf("node %s (%s): routes %v, served by %v: the local routes do not match what it served", name, n.Addr, n.Routes, n.ServedBy)
		}
	}
}

// silentListener accepts connections and never answers on them.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// TestStoppedReplay: when the replay's context ends (here while the first
// request waits on a node that never answers, the second due an hour
// later), nothing more is sent, the request in flight is unfinished
// (neither answered nor failed) and the report says why it stopped.
func TestStoppedReplay(t *testing.T) {
	addr := testnode.Start(t, "")
	push(t, addr, "adder", "add_fp32")
	silent := silentListener(t)
	ctx, cancel := context.WithCancelCause(testCtx(t))
	defer cancel(nil)
	cfg := replay.DefaultConfig()
	cfg.Nodes, cfg.Retries = []replay.Node{{Addr: addr}, {Site: "x", Addr: silent}}, 0
	s, err := replay.Open(cfg, replay.Deps{Dialer: func(ctx context.Context, to string) (net.Conn, error) {
		if to == silent {
			cancel(errors.New("stopped by the test"))
		}
		return (&net.Dialer{}).DialContext(ctx, "tcp", to)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := s.Run(ctx, []replay.Request{{Model: "adder", Site: "x"}, {At: time.Hour, Model: "adder", Site: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Planned != 2 || rep.Sent != 1 || rep.Unfinished != 1 || rep.OK+rep.Failed != 0 || rep.Stopped != "stopped by the test" ||
		rep.Nodes[1].Attempts != 1 || rep.Nodes[1].Failed != 0 {
		t.Fatalf("report %+v", rep)
	}
}
