package gossip

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gossip and cluster series.
type metrics struct {
	payloads     *prometheus.CounterVec
	joinFailures prometheus.Counter
	oversize     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, g *Gossip) *metrics {
	m := &metrics{
		payloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgeserve_gossip_payloads_total",
			Help: "Gossip payloads received, by kind and result (applied, stale, gap, skew, malformed, unknown_version)."},
			[]string{"kind", "result"}),
		joinFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgeserve_gossip_join_failures_total",
			Help: "Join attempts that reached no member."}),
		oversize: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgeserve_gossip_oversize_total",
			Help: "States or catalog entries too large to broadcast; push/pull carries them."}),
	}
	if reg == nil {
		return m
	}
	reg.MustRegister(m.payloads, m.joinFailures, m.oversize,
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "edgeserve_gossip_sent_bytes_total",
			Help: "Bytes this node sent to gossip (packets and streams)."}, func() float64 { return float64(g.sent.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edgeserve_gossip_broadcast_queue",
			Help: "Broadcasts waiting to be sent."}, func() float64 { return float64(g.queue.NumQueued()) }),
		newClusterCollector(g))
	return m
}

func (m *metrics) payload(kind, result string) { m.payloads.WithLabelValues(kind, result).Inc() }

// clusterCollector reads the view at scrape time.
type clusterCollector struct {
	g                          *Gossip
	members, loaded, catalog   *prometheus.Desc
	rtt, headroom, gpuHeadroom *prometheus.Desc
}

func newClusterCollector(g *Gossip) *clusterCollector {
	return &clusterCollector{g: g,
		members: prometheus.NewDesc("edgeserve_cluster_members", "Members by region and health, as this node sees them.",
			[]string{"region", "health"}, nil),
		loaded: prometheus.NewDesc("edgeserve_cluster_loaded_models", "Models each live member has loaded.",
			[]string{"node"}, nil),
		catalog: prometheus.NewDesc("edgeserve_cluster_catalog_models", "Model versions in the gossiped catalog (tombstones apart).",
			nil, nil),
		rtt: prometheus.NewDesc("edgeserve_cluster_rtt_seconds", "Predicted round-trip time to each member.",
			[]string{"node"}, nil),
		headroom: prometheus.NewDesc("edgeserve_cluster_memory_headroom_bytes", "Each live member's host memory headroom.",
			[]string{"node"}, nil),
		gpuHeadroom: prometheus.NewDesc("edgeserve_cluster_gpu_headroom_bytes", "Each live member's free GPU memory, per GPU.",
			[]string{"node", "gpu"}, nil),
	}
}

func (c *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.members, c.loaded, c.catalog, c.rtt, c.headroom, c.gpuHeadroom} {
		ch <- d
	}
}

func (c *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	type rh struct{ region, health string }
	counts := map[rh]int{}
	for _, m := range c.g.Members() {
		counts[rh{m.Region, string(m.Health)}]++
		if m.RTTKnown && !m.Self {
			ch <- prometheus.MustNewConstMetric(c.rtt, prometheus.GaugeValue, m.RTT.Seconds(), m.Name)
		}
		if m.State == nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.loaded, prometheus.GaugeValue, float64(len(m.State.Loaded)), m.Name)
		ch <- prometheus.MustNewConstMetric(c.headroom, prometheus.GaugeValue, float64(m.State.MemoryHeadroomBytes), m.Name)
		for _, gpu := range m.State.GPUs {
			ch <- prometheus.MustNewConstMetric(c.gpuHeadroom, prometheus.GaugeValue, float64(gpu.FreeBytes), m.Name, strconv.Itoa(gpu.Index))
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.members, prometheus.GaugeValue, float64(n), k.region, k.health)
	}
	ch <- prometheus.MustNewConstMetric(c.catalog, prometheus.GaugeValue, float64(len(c.g.Models())))
}
