package node

import (
	"context"
	"errors"
	"fmt"
	"github.com/edgeserve/edgeserve/placement/raftgroup"
	"github.com/edgeserve/edgeserve/placement/route"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/ort"
	"github.com/edgeserve/edgeserve/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
)

// Node is one edgeserve-node. New binds the listeners; Run serves until
// its context ends, then drains.
type Node struct {
	cfg   Config
	log   *zap.Logger
	store modelStore
	cache modelCache
	// netem is the test-only network emulation (nil unless configured).
	netem *netem
	// group is the region's placement Raft group (nil without a region).
	group *raftgroup.Group
	// loadSpeed scales the load estimate of a model never loaded here to
	// the loads measured here.
	loadSpeed route.LoadSpeed
	// preloadIdle: a hint's preload may take the place of a model not
	// hinted and unused this long at most (Deps.PreloadIdle;
	// preloadIdleFor).
	preloadIdle time.Duration
	// noDemandPreload: demand hints preload nothing (Deps.NoDemandPreload).
	noDemandPreload bool

	pushes  *pushes
	metrics *metrics
	stats   *stats
	sigs    *signatures
	gpus    *gpus
	reqmem  *requestMemory
	reg     *prometheus.Registry

	grpcSrv    *grpc.Server
	health     *health.Server
	httpSrv    *http.Server
	metricsSrv *http.Server
	// healthSrv serves the plain health probes on healthLis (nil: off).
	healthSrv   *http.Server
	healthLis   net.Listener
	grpcLis     net.Listener
	httpLis     net.Listener
	metricsLis  net.Listener
	draining    atomic.Bool
	closeOnFail []func()
	// cluster is nil on a cluster of one; active counts requests being
	// served (the queue depth the node gossips).
	cluster *cluster
	active  atomic.Int64
	// peers are the connections to other nodes (fetching model bytes).
	peers *peers

	// loader loads models; bg runs background work (the store's GC
	// loop, gc.go), which stops when bgCtx ends at drain.
	loader runtime.Loader
	// closeLoader releases the loader the node built itself (not one
	// given in Deps) at the end of the drain; nil when there is none.
	closeLoader func() error
	bg          sync.WaitGroup
	bgCtx       context.Context
	bgCancel    context.CancelFunc
}

// cacheFactory builds the model cache over a loader; tests substitute it.
type cacheFactory func(cfg Config, deps Deps, load loadFunc) (modelCache, error)

// loadFunc loads the model version a cache key names. forRequest says a
// request waits for the load (a miss, not a pin): the model is then loaded
// without a warm-up run, since the request's own run comes next.
type loadFunc func(ctx context.Context, key string, forRequest bool) (runtime.Model, error)

// New validates cfg, opens the store in cfg.DataDir, builds the runtime
// and the cache and binds the three listeners.
func New(cfg Config, deps Deps) (*Node, error) {
	return newNode(cfg, deps, newPlacementCache)
}

// A failure releases what was opened before it. The half-built node is
// held in its own variable: `return nil, err` clears the named result
// before deferred calls run, so the cleanup must not read it.
func newNode(cfg Config, deps Deps, newCache cacheFactory) (_ *Node, err error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	// An absolute data directory keeps every path the node logs or
	// scrubs from client-facing errors recognisable as its own.
	if cfg.DataDir, err = filepath.Abs(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("node: data dir: %w", err)
	}
	n := &Node{cfg: cfg, log: deps.Logger, stats: newStats(), sigs: newSignatures(), reg: deps.Registry,
		reqmem: newRequestMemory(cfg.Server.RequestMemoryBytes)}
	n.bgCtx, n.bgCancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			n.cleanup()
		}
	}()
	if n.log == nil {
		n.log = zap.NewNop()
	}
	if n.reg == nil {
		n.reg = prometheus.NewRegistry()
		n.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	deps.Logger, deps.Registry = n.log, n.reg
	n.metrics = newMetrics(n.reg)
	if err := n.startGPUs(deps.GPUProber); err != nil {
		return nil, err
	}
	if err := n.openParts(deps, newCache); err != nil {
		return nil, err
	}
	if err := n.listen(); err != nil {
		return nil, err
	}
	if err := n.startCluster(deps); err != nil {
		return nil, err
	}
	return n, nil
}

// openParts opens the store, the push tracker, the loader and the cache.
func (n *Node) openParts(deps Deps, newCache cacheFactory) error {
	st, rep, err := store.Open(context.Background(), n.cfg.storeConfig(), store.Deps{Logger: n.log})
	if err != nil {
		return fmt.Errorf("node: open store: %w", err)
	}
	n.store = st
	n.closeOnFail = append(n.closeOnFail, func() { st.Close() })
	if !rep.Clean() {
		n.log.Warn("store reconciliation found problems", zap.Any("report", rep))
	}
	n.pushes = newPushes(st)
	loader := deps.Loader
	if loader == nil {
		if loader, err = n.ortLoader(); err != nil {
			return err
		}
	}
	n.loader = loader
	deps.pageCached = n.pageCached
	if h, ok := loader.(interface{ HeldBytes() int64 }); ok {
		deps.heldBytes = h.HeldBytes // ONNX Runtime's shared arena
	}
	if n.cache, err = newCache(n.cfg, deps, n.loadFunc(loader)); err != nil {
		return err
	}
	n.closeOnFail = append(n.closeOnFail, func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		n.cache.Close(ctx) //nolint:errcheck // nothing is loaded yet
	})
	return nil
}

func (n *Node) ortLoader() (runtime.Loader, error) {
	oc := ort.DefaultConfig()
	oc.LibraryPath = n.cfg.Runtime.ORTLibrary
	oc.IntraOpThreads = n.cfg.Runtime.IntraOpThreads
	oc.Provider, oc.DeviceID = n.cfg.Runtime.Provider, n.cfg.Runtime.GPUDevice
	oc.PreparedDir = filepath.Join(n.cfg.DataDir, "prepared")
	l, err := ort.New(oc, n.log)
	if err != nil {
		return nil, fmt.Errorf("node: onnx runtime: %w", err)
	}
	n.closeLoader = l.Close
	n.closeOnFail = append(n.closeOnFail, func() { l.Close() })
	return l, nil
}

// loadFunc resolves a cache key to its verified blob and loads it.
func (n *Node) loadFunc(l runtime.Loader) loadFunc {
	return func(ctx context.Context, key string, forRequest bool) (runtime.Model, error) {
		i := strings.LastIndex(key, ":")
		if i < 0 {
			return nil, fmt.Errorf("%w: cache key %q", ErrBadRequest, key)
		}
		rec, path, err := n.store.ModelFile(ctx, key[:i], key[i+1:])
		if n.cluster != nil && (errors.Is(err, store.ErrCorrupt) || errors.Is(err, store.ErrNotFound)) {
			// Stored elsewhere, or the copy here was quarantined: store a
			// good one from a peer.
			if ferr := n.fetchForLoad(ctx, key[:i], key[i+1:], rec, err); ferr != nil {
				return nil, ferr
			}
			rec, path, err = n.store.ModelFile(ctx, key[:i], key[i+1:])
		}
		if errors.Is(err, store.ErrExternalData) || errors.Is(err, store.ErrNotONNX) {
			return nil, fmt.Errorf("%w: %w", runtime.ErrInvalidModel, err) // the bytes will not change
		}
		if err != nil {
			return nil, err
		}
		src, err := n.source(rec.Ref(), rec.Digest, path)
		if err != nil {
			return nil, err
		}
		src.SkipWarmUp = forRequest
		start := time.Now()
		m, err := l.Load(ctx, src)
		if err == nil {
			n.loadSpeed.Observe(rec.SizeBytes, time.Since(start))
		}
		return m, err
	}
}

// cleanup releases what a failed New opened.
func (n *Node) cleanup() {
	n.bgCancel()
	n.bg.Wait()
	for i := len(n.closeOnFail) - 1; i >= 0; i-- {
		n.closeOnFail[i]()
	}
}
