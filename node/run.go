package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Run serves until ctx ends or a server fails, then drains: it stops
// accepting requests, lets in-flight ones finish (up to DrainTimeout),
// unloads every model and closes the store. A drain after ctx ended
// returns nil.
func (n *Node) Run(ctx context.Context) error {
	defer n.gpus.watch(ctx, n.cfg.Runtime.GPUProbeInterval)()
	n.bg.Go(func() { n.gcLoop(n.bgCtx) })
	n.bg.Go(func() { n.runCluster(n.bgCtx) })
	errc := make(chan error, 4)
	go func() { errc <- n.grpcSrv.Serve(n.grpcLis) }()
	go func() { errc <- n.httpSrv.Serve(n.httpLis) }()
	if n.metricsLis != nil {
		go func() { errc <- n.metricsSrv.Serve(n.metricsLis) }()
	}
	if n.healthLis != nil {
		go func() { errc <- n.healthSrv.Serve(n.healthLis) }()
	}
	n.log.Info("edgeserve-node serving", zap.String("grpc", n.GRPCAddr()), zap.String("http", n.HTTPAddr()),
		zap.String("metrics", n.MetricsAddr()), zap.Bool("tls", n.cfg.Server.TLSCertFile != ""),
		zap.Bool("client_certs", n.cfg.Server.TLSClientCAFile != ""))
	warnInsecureAdmin(n.log, n.cfg.Server)
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

// warnInsecureAdmin warns when anyone who reaches the node can change its
// models: no admin token, InsecureAdmin, and a listener beyond loopback.
func warnInsecureAdmin(log *zap.Logger, cfg ServerConfig) {
	if !cfg.InsecureAdmin || cfg.AdminToken != "" || (IsLoopback(cfg.GRPCAddr) && IsLoopback(cfg.HTTPAddr)) {
		return
	}
	log.Warn("admin API open to anyone who reaches the node: no admin token and insecure admin allowed off loopback",
		zap.String("grpc", cfg.GRPCAddr), zap.String("http", cfg.HTTPAddr))
}

// closeTimeout bounds the unloading of models after the drain, which a
// request cut off by a timed-out drain may still hold for a moment.
const closeTimeout = 10 * time.Second

// drain is the shutdown sequence; see Run. A drain that times out cuts the
// remaining requests off (logged, not an error); then the cache unloads
// every model within its own closeTimeout, and only after that is the
// store closed, so no request still reads it.
func (n *Node) drain() error {
	n.draining.Store(true)
	n.health.Shutdown()
	n.log.Info("draining")
	n.handOver()
	n.leaveCluster()
	n.stopServers()
	n.bgCancel()
	n.bg.Wait()
	if n.group != nil {
		if err := n.group.Close(); err != nil {
			n.log.Warn("placement: close the Raft group", zap.Error(err))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	cerr := n.cache.Close(ctx)
	serr := n.store.Close()
	if n.closeLoader != nil {
		cerr = errors.Join(cerr, n.closeLoader())
	}
	n.metricsSrv.Close()
	n.healthSrv.Close()
	if err := errors.Join(cerr, serr); err != nil {
		return fmt.Errorf("node: drain: %w", err)
	}
	n.log.Info("drained")
	return nil
}

// stopServers lets in-flight requests finish within DrainTimeout, then
// cuts off any that remain.
func (n *Node) stopServers() {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.Server.DrainTimeout)
	defer cancel()
	stopped := make(chan struct{})
	go func() { n.grpcSrv.GracefulStop(); close(stopped) }()
	herr := n.httpSrv.Shutdown(ctx)
	select {
	case <-stopped:
	case <-ctx.Done():
		n.grpcSrv.Stop()
	}
	if herr != nil || ctx.Err() != nil {
		n.httpSrv.Close()
		n.log.Warn("drain timed out; remaining requests were cut off",
			zap.Duration("drain_timeout", n.cfg.Server.DrainTimeout), zap.Error(herr))
	}
}
