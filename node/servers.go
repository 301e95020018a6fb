package node

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	peerpb "github.com/edgeserve/edgeserve/proto/peer/v1"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"golang.org/x/net/netutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
)

// listen binds the listeners, each capped at MaxConnections and, with
// TLS, wrapped in it (metrics included), and builds the servers.
func (n *Node) listen() (err error) {
	tlsCfg, err := n.cfg.Server.serverTLS()
	if err != nil {
		return err
	}
	if n.grpcLis, err = n.bind(n.cfg.Server.GRPCAddr); err != nil {
		return err
	}
	if n.httpLis, err = n.bind(n.cfg.Server.HTTPAddr); err != nil {
		return err
	}
	if n.cfg.Server.MetricsAddr != "" {
		if n.metricsLis, err = n.bind(n.cfg.Server.MetricsAddr); err != nil {
			return err
		}
	}
	if n.cfg.Server.HealthAddr != "" {
		if n.healthLis, err = n.bind(n.cfg.Server.HealthAddr); err != nil {
			return err
		}
	}
	if tlsCfg != nil {
		n.httpLis = tls.NewListener(n.httpLis, tlsCfg.Clone())
		if n.metricsLis != nil {
			n.metricsLis = tls.NewListener(n.metricsLis, tlsCfg.Clone())
		}
	}
	n.buildServers(tlsCfg)
	return nil
}

// bind listens on addr and caps its open connections at MaxConnections.
func (n *Node) bind(addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("node: listen %s: %w", addr, err)
	}
	n.closeOnFail = append(n.closeOnFail, func() { l.Close() })
	return netutil.LimitListener(l, n.cfg.Server.MaxConnections), nil
}

func (n *Node) buildServers(tlsCfg *tls.Config) {
	lim := newInflight(n.cfg.Server.MaxInFlightRequests, n.metrics)
	n.grpcSrv = grpc.NewServer(n.grpcOptions(tlsCfg, lim)...)
	pb.RegisterGRPCInferenceServiceServer(n.grpcSrv, inferenceServer{n: n})
	adminpb.RegisterAdminServiceServer(n.grpcSrv, adminServer{n: n})
	peerpb.RegisterPeerServiceServer(n.grpcSrv, peerServer{n: n})
	n.health = health.NewServer()
	healthpb.RegisterHealthServer(n.grpcSrv, n.health)
	reflection.Register(n.grpcSrv)
	n.httpSrv = n.httpServer(lim.http(withClientBody(n.httpHandler())))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.reg, promhttp.HandlerOpts{Registry: n.reg}))
	n.metricsSrv = n.httpServer(mux)
	probes := http.NewServeMux()
	probes.HandleFunc("GET /v2/health/live", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	probes.HandleFunc("GET /v2/health/ready", n.handleServerReady)
	n.healthSrv = n.httpServer(probes)
}

// HealthAddr is the bound plain health address ("" when disabled).
func (n *Node) HealthAddr() string {
	if n.healthLis == nil {
		return ""
	}
	return n.healthLis.Addr().String()
}

// The bounds of ServerConfig.GRPCWindowBytes: HTTP/2's initial window
// (grpc-go refuses a smaller one), and a quarter of the largest window
// HTTP/2 allows, since a connection's is four times a stream's.
const (
	minGRPCWindow = 64 << 10
	maxGRPCWindow = 256 << 20
)

// grpcWindows are the stream and connection windows of c (0, 0: grpc-go's
// own, growing from 64 KiB).
func (c ServerConfig) grpcWindows() (stream, conn int32) {
	return int32(c.GRPCWindowBytes), int32(4 * c.GRPCWindowBytes)
}

// grpcOptions bound each connection (handshake time, idle time, silent
// peers, ping floods, concurrent streams) and each request (size, calls
// in flight), and add TLS and the admin token check.
func (n *Node) grpcOptions(tlsCfg *tls.Config, lim inflight) []grpc.ServerOption {
	c := n.cfg.Server
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(c.MaxRequestBytes),
		grpc.ConnectionTimeout(c.GRPCHandshakeTimeout),
		grpc.MaxConcurrentStreams(uint32(c.GRPCMaxConcurrentStreams)),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: c.GRPCMaxConnectionIdle, Time: c.GRPCKeepaliveTime, Timeout: c.GRPCKeepaliveTimeout}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: c.GRPCKeepaliveMinTime, PermitWithoutStream: true}),
		grpc.ChainUnaryInterceptor(lim.unary, n.unaryAuth),
		grpc.ChainStreamInterceptor(lim.stream, n.streamAuth),
	}
	if stream, conn := c.grpcWindows(); stream > 0 {
		opts = append(opts, grpc.InitialWindowSize(stream), grpc.InitialConnWindowSize(conn))
	}
	if tlsCfg != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsCfg)))
	}
	return opts
}

// httpServer serves h with the configured header, read, write and idle
// timeouts, so that slow or silent clients cannot hold a connection.
func (n *Node) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: n.cfg.Server.HTTPReadHeaderTimeout,
		ReadTimeout:       n.cfg.Server.HTTPReadTimeout,
		WriteTimeout:      n.cfg.Server.HTTPWriteTimeout,
		IdleTimeout:       n.cfg.Server.HTTPIdleTimeout,
		ErrorLog:          zap.NewStdLog(n.log.Named("http")),
	}
}

// GRPCAddr is the bound gRPC address.
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
