package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// clusterFlags are sim cluster's flags.
type clusterFlags struct {
	workloadFlags
	plane         sim.PlaneConfig
	regionMs      float64
	siteMs        float64
	jitterMs      float64
	intraMs       float64
	clientMs      float64
	matrix        string
	spread        sim.SpreadConfig
	fractions     []float64
	contenders    []string
	policy        string
	loadSlots     int
	runSlots      int
	maxPeers      int
	replicas      int
	hintInterval  time.Duration
	halfLife      time.Duration
	warmup        time.Duration
	declineCap    float64
	preloadEvicts bool
	gossipDelay   time.Duration
	commitDelay   time.Duration
	within        float64
	parallel      int
	json          bool
	plot          string
}

func newSimClusterCmd() *cobra.Command {
	f := &clusterFlags{}
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Replay a trace on a whole cluster of sites and nodes, for each contender and memory size",
		Long: `Replay a request trace (by default the Azure Functions 2019 sample, found by
$EDGESERVE_AZURE or in ../shared) on a cluster: regions of sites of nodes,
each node with a memory budget that is a fraction of all model bytes, and
report for each contender and fraction the latency percentiles (from the
client and back), the load delay, the shares of requests served by a hit,
a load and a forward, the memory held, and the model bytes moved between
sites (placement/sim's RunCluster).

Topology: --regions x --sites-per-region sites of --nodes-per-site nodes on
a plane (seeded, --topology-seed), or the sites and round trips of an RTT
matrix file (--rtt-matrix: a CSV "site,region,S1..Sn" header and one line
per site of its region and round trips in ms; the diagonal is between
nodes of the site). Clients are --client-rtt-ms from their site's nodes
and reach them round robin.

Requests: a CSV trace with a site column keeps its sites (they must be the
topology's); a trace without sites (the Azure sample) gives each function
a home region (seeded, --spread-seed) and its requests sites of that
region, but a --roam share from anywhere.

Contenders: ` + joinContenders() + `. full is the whole system: every node's
policy (--policy, serving form), its router (placement/route) forwarding
by predicted cost with RTT and queues, and each region's hint planner
(placement/hints, as the region's Raft leader runs it, every
--hint-interval on the rates the nodes gossip), whose hints the nodes
weigh in their policy, evict last and preload (into free memory or the place
of models not hinted and unused for 30 s); forward
is that without hints; alone never forwards; modelmesh places copies globally by demand
and routes to any copy without regard to RTT; oracle has every model
loaded everywhere.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSimCluster(cmd, f) },
	}
	f.register(cmd.Flags())
	return cmd
}

func joinContenders() string {
	var names []string
	for _, c := range sim.ClusterContenders() {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}

func (f *clusterFlags) register(fs *pflag.FlagSet) {
	f.workloadFlags.register(fs)
	f.plane = sim.DefaultPlaneConfig()
	f.spread = sim.DefaultSpreadConfig()
	d := sim.DefaultClusterConfig(nil, 0)
	fs.IntVar(&f.plane.Regions, "regions", f.plane.Regions, "plane topology: regions")
	fs.IntVar(&f.plane.SitesPerRegion, "sites-per-region", f.plane.SitesPerRegion, "plane topology: sites per region")
	fs.IntVar(&f.plane.NodesPerSite, "nodes-per-site", f.plane.NodesPerSite, "nodes per site")
	fs.Float64Var(&f.regionMs, "region-spread-ms", millis(f.plane.RegionSpread), "plane topology: side of the square region centres are drawn from (ms of round trip)")
	fs.Float64Var(&f.siteMs, "site-spread-ms", millis(f.plane.SiteSpread), "plane topology: radius around its region's centre a site is drawn from (ms)")
	fs.Float64Var(&f.jitterMs, "jitter-ms", millis(f.plane.Jitter), "plane topology: jitter added to each pair of sites (up to, ms)")
	fs.Float64Var(&f.intraMs, "intra-site-ms", millis(f.plane.IntraSite), "plane topology: round trip between nodes of a site (ms)")
	fs.Float64Var(&f.clientMs, "client-rtt-ms", millis(f.plane.ClientRTT), "round trip from a client to its site's nodes (ms)")
	fs.Uint64Var(&f.plane.Seed, "topology-seed", f.plane.Seed, "plane topology: seed of the places and jitter")
	fs.StringVar(&f.matrix, "rtt-matrix", "", "RTT matrix file (CSV) instead of the plane")
	fs.Float64Var(&f.spread.Roam, "roam", f.spread.Roam, "trace without sites: share of requests from any site, not their function's home region")
	fs.Uint64Var(&f.spread.Seed, "spread-seed", f.spread.Seed, "trace without sites: seed of home regions and sites")
	fs.Float64SliceVar(&f.fractions, "memory-fractions", sim.DefaultCapacityFractions(), "each node's memory as fractions of all model bytes")
	fs.StringSliceVar(&f.contenders, "contenders", nil, "contenders (default: all): "+joinContenders())
	fs.StringVar(&f.policy, "policy", d.Policy, "the nodes' policy (its serving form): "+strings.Join(policy.Names(), ", "))
	fs.IntVar(&f.loadSlots, "load-slots", d.LoadSlots, "loads a node runs at once")
	fs.IntVar(&f.runSlots, "run-slots", d.RunSlots, "requests a node runs at once")
	fs.IntVar(&f.maxPeers, "max-peers", d.MaxPeers, "peers of each kind a routing decision ranks (the nearest)")
	fs.IntVar(&f.replicas, "replicas", d.Replicas, "nodes storing each model's bytes at the start")
	fs.DurationVar(&f.hintInterval, "hint-interval", d.HintInterval, "full system: how often each region plans hints")
	fs.DurationVar(&f.halfLife, "rate-half-life", d.RateHalfLife, "full system: half-life of the request rates the nodes gossip to the planner (0: each interval's own)")
	fs.DurationVar(&f.warmup, "warmup", 0, "replay but do not count the requests of this first stretch of the trace (caches start empty)")
	fs.Float64Var(&f.declineCap, "decline-cap", 0, "a variant of the router (not the node's): take a declined load after all when the cheapest forward costs more than this many times it (0: off)")
	fs.BoolVar(&f.preloadEvicts, "preload-evicts", false, "a variant of following hints (not the node's): a hinted model's preload may take the place of any idle model not hinted (the node's takes only those unused for 30 s)")
	fs.DurationVar(&f.gossipDelay, "gossip-delay", 0, "peers' state reaches the router this late: gossip rounds every this long, each arriving one round later (0: at once)")
	fs.DurationVar(&f.commitDelay, "hint-commit-delay", 0, "full system: hints take effect at the nodes this long after each plan (the Raft commit); less than --hint-interval")
	fs.Float64Var(&f.within, "within", 1.2, "report the smallest memory fraction at which full's p99 is within this factor of the oracle's")
	fs.IntVar(&f.parallel, "parallel", 0, "replays to run at once (default: one per CPU)")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of a table (durations in ns)")
	fs.StringVar(&f.plot, "plot", "", "also draw p99 latency against memory fraction into this .png or .svg")
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func msDuration(v float64, flag string) (time.Duration, error) {
	if !(v >= 0) || v > 1e6 {
		return 0, fmt.Errorf("--%s %v: want milliseconds from 0 to 1e6", flag, v)
	}
	return time.Duration(v * float64(time.Millisecond)), nil
}

func runSimCluster(cmd *cobra.Command, f *clusterFlags) error {
	cons, err := f.check()
	if err != nil {
		return err
	}
	topo, err := f.topology()
	if err != nil {
		return err
	}
	w, err := f.clusterWorkload(topo)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "cluster: %d regions, %d sites, %d nodes; workload: %d requests over %d models (%.2f GB)\n",
		len(topo.Regions), len(topo.Sites), topo.Nodes(), len(w.Requests), len(w.Models), float64(w.TotalBytes())/1e9)
	cfg := sim.DefaultClusterConfig(topo, 0)
	cfg.Policy, cfg.LoadSlots, cfg.RunSlots, cfg.MaxPeers, cfg.Replicas, cfg.HintInterval, cfg.Warmup, cfg.DeclineCap =
		f.policy, f.loadSlots, f.runSlots, f.maxPeers, f.replicas, f.hintInterval, f.warmup, f.declineCap
	cfg.RateHalfLife, cfg.PreloadEvicts, cfg.GossipDelay, cfg.HintCommitDelay = f.halfLife, f.preloadEvicts, f.gossipDelay, f.commitDelay
	results, err := sim.ClusterSweep(cmd.Context(), w, cfg, f.fractions, cons, f.parallel)
	if err != nil {
		return err
	}
	if f.plot != "" {
		if err := sim.SaveClusterPlot(f.plot, results, fmt.Sprintf("p99 latency, %d sites x %d nodes", len(topo.Sites), topo.NodesPerSite)); err != nil {
			return err
		}
	}
	if f.json {
		return sim.WriteClusterJSON(cmd.OutOrStdout(), results)
	}
	if err := sim.WriteClusterTable(cmd.OutOrStdout(), results); err != nil {
		return err
	}
	return f.writeWithin(cmd.OutOrStdout(), results)
}

// writeWithin says where the full system comes within --within of the
// oracle's p99.
func (f *clusterFlags) writeWithin(w io.Writer, results []sim.ClusterResult) error {
	frac, ok := sim.WithinOracle(results, sim.Full, f.within)
	if !ok {
		_, err := fmt.Fprintf(w, "full's p99 is not within %gx of the oracle's at any memory fraction measured\n", f.within)
		return err
	}
	_, err := fmt.Fprintf(w, "full's p99 is within %gx of the oracle's from memory fraction %g (of those measured)\n", f.within, frac)
	return err
}

// check refuses bad flags before the trace is read.
func (f *clusterFlags) check() ([]sim.ClusterContender, error) {
	if f.plot != "" {
		if err := sim.CheckPlotFile(f.plot); err != nil {
			return nil, err
		}
	}
	if f.site != "" {
		return nil, fmt.Errorf("--site: a cluster replays every site")
	}
	if !slices.Contains(policy.Names(), f.policy) {
		return nil, fmt.Errorf("--policy %q: want one of %s", f.policy, strings.Join(policy.Names(), ", "))
	}
	for _, c := range f.fractions {
		if !(c > 0) || c > 1 {
			return nil, fmt.Errorf("--memory-fractions: %v is not in (0, 1]", c)
		}
	}
	if !(f.within >= 1) {
		return nil, fmt.Errorf("--within %v: want a factor of at least 1", f.within)
	}
	if len(f.contenders) == 0 {
		return sim.ClusterContenders(), nil
	}
	var out []sim.ClusterContender
	for _, name := range f.contenders {
		if !slices.Contains(sim.ClusterContenders(), sim.ClusterContender(name)) {
			return nil, fmt.Errorf("--contenders: unknown %q (known: %s)", name, joinContenders())
		}
		out = append(out, sim.ClusterContender(name))
	}
	return out, nil
}

// topology builds the plane or reads the matrix.
func (f *clusterFlags) topology() (*sim.Topology, error) {
	client, err := msDuration(f.clientMs, "client-rtt-ms")
	if err != nil {
		return nil, err
	}
	if f.matrix != "" {
		return readFile(f.matrix, func(r io.Reader) (*sim.Topology, error) {
			return sim.ReadRTTMatrix(r, f.plane.NodesPerSite, client)
		})
	}
	p := f.plane
	p.ClientRTT = client
	for _, d := range []struct {
		v    float64
		name string
		to   *time.Duration
	}{{f.regionMs, "region-spread-ms", &p.RegionSpread}, {f.siteMs, "site-spread-ms", &p.SiteSpread},
		{f.jitterMs, "jitter-ms", &p.Jitter}, {f.intraMs, "intra-site-ms", &p.IntraSite}} {
		if *d.to, err = msDuration(d.v, d.name); err != nil {
			return nil, err
		}
	}
	return sim.NewPlaneTopology(p)
}

// clusterWorkload reads the trace (the Azure sample by default), gives
// its requests sites of topo, and maps its models to profiles.
func (f *clusterFlags) clusterWorkload(topo *sim.Topology) (*sim.Workload, error) {
	if f.csvFile == "" && f.azure == "" && !f.synthetic {
		dir, err := trace.FindAzureSample()
		if err != nil {
			return nil, fmt.Errorf("%w: give --azure, --trace or --synthetic", err)
		}
		f.azure = dir
	}
	tr, err := f.load()
	if err != nil {
		return nil, err
	}
	if len(tr.Sites) > 0 {
		tr, err = sim.MatchSites(tr, topo)
	} else {
		tr, err = sim.SpreadSites(tr, topo, f.spread)
	}
	if err != nil {
		return nil, err
	}
	set, err := profile.Load(f.profiles, profile.LoadPath(f.loadPath))
	if err != nil {
		return nil, err
	}
	return f.mapTrace(tr, set)
}
