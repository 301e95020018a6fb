package node

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"
)

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
	n.prepCancel()
	n.prep.Wait()
	cerr := n.cache.Close(ctx)
	serr := n.store.Close()
	n.metricsSrv.Close()
	if err := errors.Join(herr, cerr, serr); err != nil {
		return fmt.Errorf("node: drain: %w", err)
	}
	n.log.Info("drained")
	return nil
}
