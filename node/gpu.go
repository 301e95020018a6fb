package node

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/edgeserve/edgeserve/runtime/nvml"
	"github.com/edgeserve/edgeserve/runtime/ort"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// GPUProber reads the machine's GPUs and their memory. The node's default
// is NVML (runtime/nvml) with Config.NVMLLibrary; a machine without a GPU
// answers with a report whose Reason says why.
type GPUProber interface {
	Probe() nvml.Report
}

// GPUProberFunc adapts a function to GPUProber.
type GPUProberFunc func() nvml.Report

// Probe calls f.
func (f GPUProberFunc) Probe() nvml.Report { return f() }

// nvmlProber probes through NVML.
type nvmlProber struct{ cfg nvml.Config }

func (p nvmlProber) Probe() nvml.Report { return nvml.Probe(p.cfg) }

// gpus holds the latest GPU report: read at start and every
// GPUProbeInterval while the node runs, shown in the status view and the
// metrics, and used for the GPU budget at start.
type gpus struct {
	prober GPUProber
	log    *zap.Logger

	mu     sync.Mutex // guards report and at
	report nvml.Report
	at     time.Time
}

func newGPUs(p GPUProber, log *zap.Logger) *gpus { return &gpus{prober: p, log: log} }

// probe reads the GPUs now and keeps the report.
func (g *gpus) probe() nvml.Report {
	r := g.prober.Probe()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.report, g.at = r, time.Now()
	return r
}

// latest is the last report and when it was read.
func (g *gpus) latest() (nvml.Report, time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.report, g.at
}

// watch re-probes every interval until ctx ends; the returned function
// stops it and waits. An interval of 0 probes only at start.
func (g *gpus) watch(ctx context.Context, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if interval <= 0 {
			return
		}
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				g.probe()
			}
		}
	}()
	return func() { cancel(); <-done }
}

// gpuProvider says whether the ONNX Runtime provider runs models on a GPU.
func gpuProvider(p string) bool { return p == ort.ProviderCUDA || p == ort.ProviderTensorRT }

// gpuBudget is the cache's GPU budget from a report: none (0) on the CPU
// provider; GPUBudgetBytes when set; else the free memory of GPUDevice
// minus GPUReserveBytes. A GPU provider without that GPU is an error.
func gpuBudget(cfg Config, r nvml.Report) (int64, error) {
	if !gpuProvider(cfg.Runtime.Provider) {
		return 0, nil
	}
	if cfg.Cache.GPUBudgetBytes > 0 {
		return cfg.Cache.GPUBudgetBytes, nil
	}
	for _, g := range r.GPUs {
		if g.Index != cfg.Runtime.GPUDevice {
			continue
		}
		budget := int64(g.MemoryFreeBytes) - cfg.Cache.GPUReserveBytes
		if budget <= 0 {
			return 0, fmt.Errorf("node: GPU %d has %d bytes free, not more than GPUReserveBytes %d: no room for models",
				g.Index, g.MemoryFreeBytes, cfg.Cache.GPUReserveBytes)
		}
		return budget, nil
	}
	return 0, fmt.Errorf("node: provider %s runs on GPU %d, which the probe did not find (%s)", cfg.Runtime.Provider, cfg.Runtime.GPUDevice, r)
}

// startGPUs probes the GPUs at start, logs the result, registers the GPU
// metrics and sets the GPU budget in n.cfg for the cache.
func (n *Node) startGPUs(p GPUProber) error {
	if p == nil {
		p = nvmlProber{nvml.Config{LibraryPath: n.cfg.Runtime.NVMLLibrary}}
	}
	n.gpus = newGPUs(p, n.log)
	r := n.gpus.probe()
	n.log.Info("gpu probe", zap.String("gpus", r.String()))
	budget, err := gpuBudget(n.cfg, r)
	if err != nil {
		return err
	}
	n.cfg.Cache.GPUBudgetBytes = budget
	if err := n.reg.Register(newGPUCollector(n.gpus)); err != nil {
		return fmt.Errorf("node: registering GPU metrics: %w", err)
	}
	return nil
}

// gpuCollector exports the latest GPU report as edgeserve_gpu_* series.
type gpuCollector struct {
	g                          *gpus
	total, free, available, at *prometheus.Desc
}

func newGPUCollector(g *gpus) gpuCollector {
	return gpuCollector{g: g,
		total: prometheus.NewDesc("edgeserve_gpu_memory_total_bytes",
			"GPU memory, in bytes, as last probed (NVML), by GPU index.", []string{"gpu", "name"}, nil),
		free: prometheus.NewDesc("edgeserve_gpu_memory_free_bytes",
			"Free GPU memory, in bytes, as last probed (NVML), by GPU index.", []string{"gpu", "name"}, nil),
		available: prometheus.NewDesc("edgeserve_gpu_available",
			"1 when the last probe found GPUs, else 0 with the reason.", []string{"reason"}, nil),
		at: prometheus.NewDesc("edgeserve_gpu_probe_timestamp_seconds",
			"When the GPUs were last probed, in Unix seconds.", nil, nil),
	}
}

func (c gpuCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.total
	ch <- c.free
	ch <- c.available
	ch <- c.at
}

func (c gpuCollector) Collect(ch chan<- prometheus.Metric) {
	r, at := c.g.latest()
	available := 0.0
	if r.Count() > 0 {
		available = 1
	}
	ch <- prometheus.MustNewConstMetric(c.available, prometheus.GaugeValue, available, r.Reason)
	ch <- prometheus.MustNewConstMetric(c.at, prometheus.GaugeValue, float64(at.UnixNano())/1e9)
	for _, g := range r.GPUs {
		idx := strconv.Itoa(g.Index)
		ch <- prometheus.MustNewConstMetric(c.total, prometheus.GaugeValue, float64(g.MemoryTotalBytes), idx, g.Name)
		ch <- prometheus.MustNewConstMetric(c.free, prometheus.GaugeValue, float64(g.MemoryFreeBytes), idx, g.Name)
	}
}
