package node

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/collectors"
	"github.com/edgeserve/edgeserve/internal/testutil"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// delayedProxy starts an in-process Toxiproxy in front of upstream that
// delays each direction (up: towards upstream) by the given time.
func delayedProxy(tb testing.TB, listen, upstream string, up, down time.Duration) string {
	tb.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	srv.Metrics.ProxyMetrics = collectors.NewProxyMetricCollectors()
	p := toxiproxy.NewProxy(srv, "peer", listen, upstream)
	if err := p.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Stop)
	for stream, d := range map[string]time.Duration{"upstream": up, "downstream": down} {
		toxic := `{"type":"latency","stream":"` + stream + `","attributes":{"latency":` + strconv.Itoa(int(d/time.Millisecond)) + `}}`
		if _, err := p.Toxics.AddToxicJson(strings.NewReader(toxic)); err != nil {
			tb.Fatal(err)
		}
	}
	return p.Listen
}

// BenchmarkForwardOverPeerLink: a model loaded only on a peer 5 ms away
// (gossip delayed for the RTT prediction, the peer link through Toxiproxy
// with 2 ms one way and 3 ms back). Each round sends one request straight
// to the peer (its warm run as a client on loopback sees it) and one to
// this node, which forwards it, and one straight to the peer through the
// same proxy (what the link alone costs). Reported: the medians, the
// forward's time beyond warm run + 5 ms, and beyond the proxied request
// (EdgeServe's own cost: the second hop on loopback, routing).
func BenchmarkForwardOverPeerLink(b *testing.B) {
	const rtt = 5 * time.Millisecond
	delay := func(from, to string) time.Duration {
		if strings.HasPrefix(from, "127.0.5.") && strings.HasPrefix(to, "127.0.5.") && from[:9] != to[:9] {
			return rtt / 2
		}
		return 0
	}
	peer := clusterNodeWith(b, "a", "127.0.5.1", func(c *Config, d *Deps) { d.GossipDelay = delay })
	var proxy string
	here := clusterNodeWith(b, "b", "127.0.5.2", func(c *Config, d *Deps) {
		d.GossipDelay = delay
		d.PeerAddr = func(addr string) string {
			if addr == peer.GRPCAddr() {
				return proxy
			}
			return addr
		}
	}, peer.cluster.g.Addr())
	proxy = delayedProxy(b, "127.0.5.3:0", peer.GRPCAddr(), 2*time.Millisecond, 3*time.Millisecond)
	push(b, peer.admin, "mlp", zooModel(b, "tiny_mlp"))
	ctx := context.Background()
	if _, err := peer.admin.LoadModel(adminCtx(b), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
		b.Fatal(err)
	}
	testutil.Eventually(b, "b sees mlp at a, 5 ms away", func() bool {
		m, ok := here.member("a")
		rtt, known := here.cluster.g.RTT("a")
		return ok && m.Has("mlp:1") && known && rtt > 3*time.Millisecond
	})
	pc, err := grpc.NewClient(proxy, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	viaProxy := pb.NewGRPCInferenceServiceClient(pc)
	var direct, proxied, forwarded []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := peer.infer.ModelInfer(ctx, mlpRequest()); err != nil {
			b.Fatal(err)
		}
		direct = append(direct, time.Since(start))
		start = time.Now()
		if _, err := viaProxy.ModelInfer(ctx, mlpRequest()); err != nil {
			b.Fatal(err)
		}
		proxied = append(proxied, time.Since(start))
		start = time.Now()
		resp, err := here.infer.ModelInfer(ctx, mlpRequest())
		if err != nil {
			b.Fatal(err)
		}
		forwarded = append(forwarded, time.Since(start))
		if param(resp, "edgeserve_route") != "forward-hit" {
			b.Fatalf("route %q; want forward-hit", param(resp, "edgeserve_route"))
		}
	}
	b.StopTimer()
	md, mp, mf := median(direct), median(proxied), median(forwarded)
	b.ReportMetric(float64(md)/1e6, "direct-ms")
	b.ReportMetric(float64(mp)/1e6, "proxied-ms")
	b.ReportMetric(float64(mf)/1e6, "forwarded-ms")
	b.ReportMetric(float64(mf-md-rtt)/1e6, "over-run+rtt-ms")
	b.ReportMetric(float64(mf-mp)/1e6, "over-proxied-ms")
}

// BenchmarkFarForwardWindow: a 224x224 image request (squeezenet1.1, a
// 602 KB tensor) forwarded to the one peer that has the model loaded,
// 60 ms away (30 ms each way through Toxiproxy), with the node's gRPC
// windows (ServerConfig.GRPCWindowBytes, both nodes) against grpc-go's
// own (0: 64 KiB, growing). Each round drops this node's peer
// connections first, so the first forward ("fresh") opens a new one; a
// second forward follows on it ("warm"). Reported: the medians of each,
// per window, and the ratios configured/grpc-go.
func BenchmarkFarForwardWindow(b *testing.B) {
	const oneWay = 30 * time.Millisecond
	type pair struct {
		name        string
		here, peer  *testNode
		fresh, warm []time.Duration
	}
	var pairs []*pair
	for i, w := range []struct {
		name  string
		bytes int
	}{{"grpcgo", 0}, {"node", DefaultServerConfig().GRPCWindowBytes}} {
		base := fmt.Sprintf("127.0.7.%d", 1+10*i)
		delay := func(from, to string) time.Duration {
			if strings.HasPrefix(from, "127.0.7.") && strings.HasPrefix(to, "127.0.7.") && from != to {
				return oneWay
			}
			return 0
		}
		peer := clusterNodeWith(b, "far"+w.name, base, func(c *Config, d *Deps) {
			d.GossipDelay, c.Server.GRPCWindowBytes = delay, w.bytes
		})
		var proxy string
		here := clusterNodeWith(b, "here"+w.name, fmt.Sprintf("127.0.7.%d", 2+10*i), func(c *Config, d *Deps) {
			d.GossipDelay, c.Server.GRPCWindowBytes = delay, w.bytes
			d.PeerAddr = func(addr string) string {
				if addr == peer.GRPCAddr() {
					return proxy
				}
				return addr
			}
		}, peer.cluster.g.Addr())
		proxy = delayedProxy(b, fmt.Sprintf("127.0.7.%d:0", 3+10*i), peer.GRPCAddr(), oneWay, oneWay)
		push(b, peer.admin, "squeeze", zooModel(b, "squeezenet1.1"))
		if _, err := peer.admin.LoadModel(adminCtx(b), &adminpb.LoadModelRequest{Name: "squeeze"}); err != nil {
			b.Fatal(err)
		}
		testutil.Eventually(b, "here sees squeeze loaded at the far peer", func() bool {
			m, ok := here.member("far" + w.name)
			rtt, known := here.cluster.g.RTT("far" + w.name)
			return ok && m.Has("squeeze:1") && known && rtt > oneWay
		})
		pairs = append(pairs, &pair{name: w.name, here: here, peer: peer})
	}
	req := zerosRequest(b, pairs[0].peer.infer, "squeeze")
	forward := func(p *pair) time.Duration {
		start := time.Now()
		resp, err := p.here.infer.ModelInfer(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		if r := param(resp, "edgeserve_route"); r != "forward-hit" {
			b.Fatalf("%s: route %q; want forward-hit", p.name, r)
		}
		return time.Since(start)
	}
	b.ResetTimer()
	for range b.N {
		for _, p := range pairs {
			p.here.peers.close()
			p.fresh = append(p.fresh, forward(p))
			p.warm = append(p.warm, forward(p))
		}
	}
	b.StopTimer()
	for _, p := range pairs {
		b.ReportMetric(float64(median(p.fresh))/1e6, p.name+"-fresh-ms")
		b.ReportMetric(float64(median(p.warm))/1e6, p.name+"-warm-ms")
	}
	b.ReportMetric(float64(median(pairs[1].fresh))/float64(median(pairs[0].fresh)), "fresh-node/grpcgo")
	b.ReportMetric(float64(median(pairs[1].warm))/float64(median(pairs[0].warm)), "warm-node/grpcgo")
}
