package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/collectors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/edgeserve/edgeserve/client"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
)

// A chaos cluster is several regions of edgeserve-node processes, one
// site and one Raft group per region, each node on its own loopback
// address (127.0.0.2, .3, ...; not 127.0.0.1, the source address of every
// unbound loopback connection: a netem file that cut 127.0.0.1 would cut
// every incoming stream, node/netem.go). Between regions, gossip is delayed by
// each node's --test-netem file and peer links (forwards, blob fetches,
// replication) go through in-process Toxiproxy proxies with the same
// delay each way, so that a region can be cut off and healed while the
// nodes run: the netem files cut gossip (and Raft) on both sides, and the
// proxies between the regions are disabled.

// interRegionDelay is the one-way delay between regions, of gossip and of
// peer links.
const interRegionDelay = 10 * time.Millisecond

// chaosCluster is a running chaos cluster.
type chaosCluster struct {
	t       *testing.T
	regions []string
	nodes   []*proc
	// regionOf maps a node's name to its region.
	regionOf map[string]string
	// netem maps a node's name to its netem file.
	netem map[string]string
	// proxies carry the peer links from a region to a node of another.
	proxies map[proxyKey]*toxiproxy.Proxy
	// admin has one client per node (by name), for status calls.
	admin map[string]*client.Client

	mu  sync.Mutex
	cut map[string]bool // guarded by mu; regions cut off from the others
}

// proxyKey names the proxy that nodes of region from dial to reach node to.
type proxyKey struct{ from, to string }

// chaosOptions shape a chaos cluster.
type chaosOptions struct {
	regions   []string
	perRegion int
	// flags are added to every node's.
	flags []string
}

// startChaosCluster starts perRegion nodes in each region and waits until
// every node sees every other alive and every region has a Raft leader.
func startChaosCluster(t *testing.T, o chaosOptions) *chaosCluster {
	t.Helper()
	c := &chaosCluster{t: t, regions: o.regions, regionOf: map[string]string{}, netem: map[string]string{},
		proxies: map[proxyKey]*toxiproxy.Proxy{}, admin: map[string]*client.Client{}, cut: map[string]bool{}}
	dir := t.TempDir()
	for ri, r := range o.regions {
		for k := range o.perRegion {
			name := fmt.Sprintf("edge-%s-%d", r, k+1)
			p := newProc(t, name, fmt.Sprintf("127.0.0.%d", 2+ri*o.perRegion+k))
			c.nodes = append(c.nodes, p)
			c.regionOf[name] = r
			c.netem[name] = filepath.Join(dir, name+".netem.json")
		}
	}
	c.startProxies()
	c.writeNetem()
	var joins []string
	for _, p := range c.nodes {
		joins = append(joins, p.gossip)
	}
	for _, p := range c.nodes {
		r := c.regionOf[p.name]
		flags := append([]string{"--region", r, "--site", r, "--bootstrap-expect", strconv.Itoa(o.perRegion),
			"--test-netem", c.netem[p.name], "--join", strings.Join(joins, ","), "--threads", "1", "--plan-interval", "1s"}, o.flags...)
		p.start(t, flags...)
		cc, err := client.Dial(client.Config{Addrs: []string{p.grpc}, MaxRecvBytes: 64 << 20, PushChunkBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		c.admin[p.name] = cc
	}
	c.waitConverged(c.nodes)
	return c
}

// startProxies starts, for each region, a proxy to each node of the other
// regions, delayed by interRegionDelay each way.
func (c *chaosCluster) startProxies() {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	srv.Metrics.ProxyMetrics = collectors.NewProxyMetricCollectors()
	for _, r := range c.regions {
		for _, p := range c.nodes {
			if c.regionOf[p.name] == r {
				continue
			}
			px := toxiproxy.NewProxy(srv, r+"->"+p.name, "127.0.0.1:0", p.grpc)
			if err := px.Start(); err != nil {
				c.t.Fatal(err)
			}
			c.t.Cleanup(px.Stop)
			for _, stream := range []string{"upstream", "downstream"} {
				toxic := fmt.Sprintf(`{"type":"latency","stream":%q,"attributes":{"latency":%d}}`, stream, interRegionDelay.Milliseconds())
				if _, err := px.Toxics.AddToxicJson(strings.NewReader(toxic)); err != nil {
					c.t.Fatal(err)
				}
			}
			c.proxies[proxyKey{r, p.name}] = px
		}
	}
}

// netemLink and netemFile are node/netem.go's file format.
type netemLink struct {
	To      string  `json:"to"`
	DelayMs float64 `json:"delay_ms,omitempty"`
	Cut     bool    `json:"cut,omitempty"`
}

type netemFile struct {
	Gossip []netemLink       `json:"gossip"`
	Peers  map[string]string `json:"peers"`
}

// writeNetem writes every node's netem file for the cuts in force:
// gossip to other regions delayed, or cut where either region is cut
// off; peer calls to other regions through their proxies. Each file is
// replaced in one rename, so a node never reads half of one.
func (c *chaosCluster) writeNetem() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.nodes {
		from := c.regionOf[p.name]
		f := netemFile{Gossip: []netemLink{}, Peers: map[string]string{}}
		for _, q := range c.nodes {
			to := c.regionOf[q.name]
			if to == from {
				continue
			}
			if c.cut[from] || c.cut[to] {
				f.Gossip = append(f.Gossip, netemLink{To: q.ip, Cut: true})
			} else {
				f.Gossip = append(f.Gossip, netemLink{To: q.ip, DelayMs: float64(interRegionDelay.Milliseconds())})
			}
			f.Peers[q.grpc] = c.proxies[proxyKey{from, q.name}].Listen
		}
		data, err := json.Marshal(f)
		if err != nil {
			c.t.Fatal(err)
		}
		tmp := c.netem[p.name] + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			c.t.Fatal(err)
		}
		if err := os.Rename(tmp, c.netem[p.name]); err != nil {
			c.t.Fatal(err)
		}
	}
}

// partition cuts region off from the others: gossip and Raft both ways
// (both ends' netem files) and the peer links between them (their
// proxies disabled, which closes the connections open through them).
func (c *chaosCluster) partition(region string) {
	c.mu.Lock()
	c.cut[region] = true
	c.mu.Unlock()
	c.writeNetem()
	for k, px := range c.proxies {
		if (k.from == region) != (c.regionOf[k.to] == region) {
			px.Stop()
		}
	}
}

// heal ends every partition.
func (c *chaosCluster) heal() {
	c.mu.Lock()
	c.cut = map[string]bool{}
	c.mu.Unlock()
	c.writeNetem()
	for _, px := range c.proxies {
		if !px.Enabled {
			if err := px.Start(); err != nil {
				c.t.Fatal(err)
			}
		}
	}
}

// inRegion are the nodes of region.
func (c *chaosCluster) inRegion(region string) []*proc {
	var out []*proc
	for _, p := range c.nodes {
		if c.regionOf[p.name] == region {
			out = append(out, p)
		}
	}
	return out
}

// except are the nodes not in gone.
func except(nodes []*proc, gone ...*proc) []*proc {
	var out []*proc
	for _, p := range nodes {
		if !slices.Contains(gone, p) {
			out = append(out, p)
		}
	}
	return out
}

// call runs f with a context bounded to 10 s.
func call[T any](f func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return f(ctx)
}

// placement is p's placement status (nil when it does not answer).
func (c *chaosCluster) placement(p *proc) *adminpb.PlacementStatusResponse {
	st, err := call(c.admin[p.name].PlacementStatus)
	if err != nil {
		return nil
	}
	return st
}

// clusterView is p's cluster status (nil when it does not answer).
func (c *chaosCluster) clusterView(p *proc) *adminpb.ClusterStatusResponse {
	st, err := call(c.admin[p.name].ClusterStatus)
	if err != nil {
		return nil
	}
	return st
}

// alive are the members p sees alive, sorted.
func (c *chaosCluster) alive(p *proc) []string {
	st := c.clusterView(p)
	if st == nil {
		return nil
	}
	var out []string
	for _, m := range st.GetMembers() {
		if m.GetHealth() == "alive" {
			out = append(out, m.GetName())
		}
	}
	slices.Sort(out)
	return out
}

func names(nodes []*proc) []string {
	var out []string
	for _, p := range nodes {
		out = append(out, p.name)
	}
	slices.Sort(out)
	return out
}

// waitConverged waits until every node of up sees exactly up alive, and
// each of up reports, for every region with a node in up, the same leader
// (one of up) and the same hint generation: the views and hints agree.
// Regions without a node in up (cut off, say) are not compared.
func (c *chaosCluster) waitConverged(up []*proc) {
	c.t.Helper()
	want := names(up)
	for _, p := range up {
		eventuallyWithin(c.t, time.Minute, p.name+" sees "+strings.Join(want, ",")+" alive", func() bool {
			return slices.Equal(c.alive(p), want)
		})
	}
	regions := c.regionsOf(up)
	var views []string
	agree := func() bool {
		views = views[:0]
		for _, p := range up {
			st := c.placement(p)
			if st == nil {
				views = append(views, p.name+": no answer")
				continue
			}
			views = append(views, p.name+": "+regionsView(st, regions))
		}
		for _, v := range views {
			_, view, _ := strings.Cut(v, ": ")
			_, first, _ := strings.Cut(views[0], ": ")
			if view != first || strings.Count(view, "=") != len(regions) || strings.Contains(view, "=@") || !leadersIn(view, want) {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(time.Minute)
	for !agree() {
		if time.Now().After(deadline) {
			c.t.Fatalf("after a minute, the nodes do not agree on the leaders and hint generations of %v: %s", regions, strings.Join(views, "; "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// leadersIn reports whether every leader a regions view names is in up.
func leadersIn(view string, up []string) bool {
	for _, part := range strings.Fields(view) {
		_, rest, _ := strings.Cut(part, "=")
		leader, _, _ := strings.Cut(rest, "@")
		if !slices.Contains(up, leader) {
			return false
		}
	}
	return true
}

// regionsOf are the regions with a node in nodes.
func (c *chaosCluster) regionsOf(nodes []*proc) []string {
	var out []string
	for _, p := range nodes {
		if r := c.regionOf[p.name]; !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// regionsView is a placement status's view of regions, as
// "r=leader@generation ...".
func regionsView(st *adminpb.PlacementStatusResponse, regions []string) string {
	var parts []string
	for _, r := range st.GetRegions() {
		if slices.Contains(regions, r.GetRegion()) {
			parts = append(parts, fmt.Sprintf("%s=%s@%d", r.GetRegion(), r.GetLeader(), r.GetGeneration()))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// leaderOf is the node that leads region, as a node of it reports.
func (c *chaosCluster) leaderOf(region string) *proc {
	c.t.Helper()
	var leader *proc
	eventuallyWithin(c.t, time.Minute, "region "+region+" has a leader", func() bool {
		for _, p := range c.inRegion(region) {
			if !p.running() {
				continue
			}
			st := c.placement(p)
			if st == nil {
				continue
			}
			for _, q := range c.inRegion(region) {
				if q.name == st.GetLeader() && q.running() {
					leader = q
					return true
				}
			}
		}
		return false
	})
	return leader
}

// load loads model at p, retrying while p cannot be reached (a node that
// just restarted: the client's connection backs off).
func (c *chaosCluster) load(p *proc, model string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := call(func(ctx context.Context) (time.Duration, error) { return c.admin[p.name].Load(ctx, model, "") })
		if status.Code(err) != codes.Unavailable || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// push pushes a zoo model at p under name and returns the nodes it is
// durable on.
func (c *chaosCluster) push(p *proc, name, file string) []string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	info, err := c.admin[p.name].PushFile(ctx, client.Model{Name: name}, file, nil)
	if err != nil {
		c.t.Fatalf("push %s at %s: %v", name, p.name, err)
	}
	return info.GetStoredOn()
}

// eventuallyWithin is testutil.Eventually with its own deadline, for
// waits that span gossip's failure detection and Raft elections on a
// loaded machine.
func eventuallyWithin(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
