package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/ort"
	"github.com/edgeserve/edgeserve/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// Node is one edgeserve-node. New binds the listeners; Run serves until
// its context ends, then drains.
type Node struct {
	cfg     Config
	log     *zap.Logger
	store   modelStore
	cache   modelCache
	uploads *uploads
	metrics *metrics
	stats   *stats
	reg     *prometheus.Registry

	grpcSrv     *grpc.Server
	health      *health.Server
	httpSrv     *http.Server
	metricsSrv  *http.Server
	grpcLis     net.Listener
	httpLis     net.Listener
	metricsLis  net.Listener
	draining    atomic.Bool
	closeOnFail []func()
}

// cacheFactory builds the model cache over a loader; tests substitute it.
type cacheFactory func(cfg Config, deps Deps, load loadFunc) (modelCache, error)

// loadFunc loads the model version a cache key names.
type loadFunc func(ctx context.Context, key string) (runtime.Model, error)

// New validates cfg, opens the store in cfg.DataDir, builds the runtime
// and the cache and binds the three listeners.
func New(cfg Config, deps Deps) (*Node, error) {
	return newNode(cfg, deps, newPlacementCache)
}

func newNode(cfg Config, deps Deps, newCache cacheFactory) (n *Node, err error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n = &Node{cfg: cfg, log: deps.Logger, stats: newStats(), reg: deps.Registry}
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
	if err := n.openParts(deps, newCache); err != nil {
		return nil, err
	}
	return n, n.listen()
}

// openParts opens the store, the uploads area, the loader and the cache.
func (n *Node) openParts(deps Deps, newCache cacheFactory) error {
	st, rep, err := store.Open(context.Background(), store.DefaultConfig(filepath.Join(n.cfg.DataDir, "store")), store.Deps{Logger: n.log})
	if err != nil {
		return fmt.Errorf("node: open store: %w", err)
	}
	n.store = st
	n.closeOnFail = append(n.closeOnFail, func() { st.Close() })
	if !rep.Clean() {
		n.log.Warn("store reconciliation found problems", zap.Any("report", rep))
	}
	if n.uploads, err = newUploads(filepath.Join(n.cfg.DataDir, "uploads")); err != nil {
		return err
	}
	loader := deps.Loader
	if loader == nil {
		if loader, err = n.ortLoader(); err != nil {
			return err
		}
	}
	n.cache, err = newCache(n.cfg, deps, n.loadFunc(loader))
	return err
}

func (n *Node) ortLoader() (runtime.Loader, error) {
	oc := ort.DefaultConfig()
	oc.LibraryPath = n.cfg.ORTLibrary
	oc.IntraOpThreads = n.cfg.IntraOpThreads
	oc.PreparedDir = filepath.Join(n.cfg.DataDir, "prepared")
	l, err := ort.New(oc, n.log)
	if err != nil {
		return nil, fmt.Errorf("node: onnx runtime: %w", err)
	}
	return l, nil
}

// loadFunc resolves a cache key to its verified blob and loads it.
func (n *Node) loadFunc(l runtime.Loader) loadFunc {
	return func(ctx context.Context, key string) (runtime.Model, error) {
		name, version, ok := cutLast(key, ":")
		if !ok {
			return nil, fmt.Errorf("%w: cache key %q", ErrBadRequest, key)
		}
		rec, path, err := n.store.ModelFile(ctx, name, version)
		if err != nil {
			return nil, err
		}
		return l.Load(ctx, runtime.Source{Name: rec.Ref(), Path: path, Digest: rec.Digest.String()})
	}
}

func cutLast(s, sep string) (before, after string, ok bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

// listen binds the listeners and builds the servers.
func (n *Node) listen() (err error) {
	var tlsCfg *tls.Config
	if n.cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(n.cfg.TLSCertFile, n.cfg.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("node: tls: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if n.grpcLis, err = n.bind(n.cfg.GRPCAddr); err != nil {
		return err
	}
	if n.httpLis, err = n.bind(n.cfg.HTTPAddr); err != nil {
		return err
	}
	if n.cfg.MetricsAddr != "" {
		if n.metricsLis, err = n.bind(n.cfg.MetricsAddr); err != nil {
			return err
		}
	}
	n.buildServers(tlsCfg)
	return nil
}

func (n *Node) bind(addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("node: listen %s: %w", addr, err)
	}
	n.closeOnFail = append(n.closeOnFail, func() { l.Close() })
	return l, nil
}

func (n *Node) buildServers(tlsCfg *tls.Config) {
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(n.cfg.MaxRequestBytes),
		grpc.ChainUnaryInterceptor(n.unaryAuth),
		grpc.ChainStreamInterceptor(n.streamAuth),
	}
	if tlsCfg != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsCfg)))
		n.httpLis = tls.NewListener(n.httpLis, tlsCfg.Clone())
	}
	n.grpcSrv = grpc.NewServer(opts...)
	pb.RegisterGRPCInferenceServiceServer(n.grpcSrv, inferenceServer{n: n})
	adminpb.RegisterAdminServiceServer(n.grpcSrv, adminServer{n: n})
	n.health = health.NewServer()
	healthpb.RegisterHealthServer(n.grpcSrv, n.health)
	reflection.Register(n.grpcSrv)
	n.httpSrv = &http.Server{Handler: n.httpHandler(), ReadHeaderTimeout: 10 * time.Second}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.reg, promhttp.HandlerOpts{Registry: n.reg}))
	n.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
}

// cleanup releases what a failed New opened.
func (n *Node) cleanup() {
	for i := len(n.closeOnFail) - 1; i >= 0; i-- {
		n.closeOnFail[i]()
	}
}

// GRPCAddr, HTTPAddr and MetricsAddr are the bound addresses.
func (n *Node) GRPCAddr() string { return n.grpcLis.Addr().String() }

// HTTPAddr is the bound HTTP address.
func (n *Node) HTTPAddr() string { return n.httpLis.Addr().String() }

// MetricsAddr is the bound metrics address ("" when disabled).
func (n *Node) MetricsAddr() string {
	if n.metricsLis == nil {
		return ""
	}
	return n.metricsLis.Addr().String()
}

// Run serves until ctx ends or a server fails, then drains: it stops
// accepting requests, lets in-flight ones finish (up to DrainTimeout),
// unloads every model and closes the store. A drain after ctx ended
// returns nil.
func (n *Node) Run(ctx context.Context) error {
	errc := make(chan error, 3)
	go func() { errc <- n.grpcSrv.Serve(n.grpcLis) }()
	go func() { errc <- n.httpSrv.Serve(n.httpLis) }()
	if n.metricsLis != nil {
		go func() { errc <- n.metricsSrv.Serve(n.metricsLis) }()
	}
	n.log.Info("edgeserve-node serving", zap.String("grpc", n.GRPCAddr()), zap.String("http", n.HTTPAddr()),
		zap.String("metrics", n.MetricsAddr()), zap.Bool("tls", n.cfg.TLSCertFile != ""))
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("node: server stopped: %w", err)
	}
	if derr := n.drain(); err == nil {
		err = derr
	}
	return err
}

// drain is the shutdown sequence; see Run.
func (n *Node) drain() error {
	n.draining.Store(true)
	n.health.Shutdown()
	n.log.Info("draining")
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.DrainTimeout)
	defer cancel()
	stopped := make(chan struct{})
	go func() { n.grpcSrv.GracefulStop(); close(stopped) }()
	herr := n.httpSrv.Shutdown(ctx)
	select {
	case <-stopped:
	case <-ctx.Done():
		n.grpcSrv.Stop()
	}
	cerr := n.cache.Close(ctx)
	serr := n.store.Close()
	n.metricsSrv.Close()
	if err := errors.Join(herr, cerr, serr); err != nil {
		return fmt.Errorf("node: drain: %w", err)
	}
	n.log.Info("drained")
	return nil
}
