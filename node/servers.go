package node

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// listen binds the listeners and builds the servers.
func (n *Node) listen() (err error) {
	var tlsCfg *tls.Config
	if n.cfg.Server.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(n.cfg.Server.TLSCertFile, n.cfg.Server.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("node: tls: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
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
		grpc.MaxRecvMsgSize(n.cfg.Server.MaxRequestBytes),
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
