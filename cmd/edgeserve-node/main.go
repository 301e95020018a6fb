// Command edgeserve-node is the EdgeServe daemon: it keeps a memory-budgeted
// set of ONNX models loaded and serves the Open Inference Protocol (KServe
// v2 / Triton) over gRPC and HTTP, the admin API and Prometheus metrics.
// SIGTERM or SIGINT drains it: listeners close, in-flight requests finish,
// models are unloaded, and it exits 0.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/edgeserve/edgeserve/node"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "edgeserve-node:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, devLog, err := parseFlags(args)
	if err != nil {
		return err
	}
	log, err := newLogger(devLog)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // stderr may not sync
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	n, err := node.New(cfg, node.Deps{Logger: log})
	if err != nil {
		return err
	}
	return n.Run(ctx)
}

func newLogger(dev bool) (*zap.Logger, error) {
	if dev {
		return zap.NewDevelopment()
	}
	return zap.NewProduction()
}

// options are the daemon's settings that are not the node's.
type options struct {
	configFile string
	devLog     bool
}

// parseFlags reads the configuration: node.DefaultConfig, then the config
// file (--config), then EDGESERVE_ADMIN_TOKEN (so that the token need not
// appear in a file or the process list), then the flags, each overriding
// the one before. Flags take the CLI's double-dash form; the older
// single-dash form of a long flag (-data-dir) still works.
func parseFlags(args []string) (node.Config, bool, error) {
	args = doubleDash(args)
	var pre options
	scratch := node.DefaultConfig("")
	if err := newFlagSet(&scratch, &pre).Parse(args); err != nil {
		return scratch, false, err
	}
	cfg := node.DefaultConfig("")
	if pre.configFile != "" {
		var err error
		if cfg, err = node.LoadConfigFile(pre.configFile, cfg); err != nil {
			return cfg, false, err
		}
	}
	if tok := os.Getenv("EDGESERVE_ADMIN_TOKEN"); tok != "" {
		cfg.Server.AdminToken = tok
	}
	if s := os.Getenv("EDGESERVE_CLUSTER_SECRET"); s != "" {
		cfg.Cluster.Secret = s
	}
	var opts options
	if err := newFlagSet(&cfg, &opts).Parse(args); err != nil {
		return cfg, false, err
	}
	if cfg.DataDir == "" {
		return cfg, false, errors.New("--data-dir (or data_dir in the config file) is required")
	}
	cfg.Version = version
	return cfg, opts.devLog, nil
}

// newFlagSet binds every flag to cfg's current values, so that a flag not
// given keeps what the defaults and the config file set.
func newFlagSet(cfg *node.Config, opts *options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("edgeserve-node", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVar(&opts.configFile, "config", "", "YAML config file (deploy/edgeserve-node.yaml documents every key); flags override it")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (model store, uploads); required")
	fs.StringVar(&cfg.Server.GRPCAddr, "grpc-addr", cfg.Server.GRPCAddr, "gRPC listen address")
	fs.StringVar(&cfg.Server.HTTPAddr, "http-addr", cfg.Server.HTTPAddr, "HTTP listen address")
	fs.StringVar(&cfg.Server.MetricsAddr, "metrics-addr", cfg.Server.MetricsAddr, "Prometheus metrics listen address, loopback by default (empty: off); served with TLS when TLS is on")
	fs.StringVar(&cfg.Server.HealthAddr, "health-addr", cfg.Server.HealthAddr, "plain-HTTP address serving only /v2/health/live and /v2/health/ready, for probes without client certificates (empty: off)")
	fs.StringVar(&cfg.Server.AdminToken, "admin-token", cfg.Server.AdminToken, "bearer token for admin calls (default $EDGESERVE_ADMIN_TOKEN)")
	fs.BoolVar(&cfg.Server.InsecureAdmin, "insecure-admin", cfg.Server.InsecureAdmin, "allow admin calls without a token on non-loopback addresses (trusted networks only)")
	fs.StringVar(&cfg.Server.TLSCertFile, "tls-cert", cfg.Server.TLSCertFile, "TLS certificate file (PEM)")
	fs.StringVar(&cfg.Server.TLSKeyFile, "tls-key", cfg.Server.TLSKeyFile, "TLS key file (PEM)")
	fs.StringVar(&cfg.Server.TLSClientCAFile, "tls-client-ca", cfg.Server.TLSClientCAFile, "CA certificates (PEM); when set, every client must present a certificate one of them signed")
	fs.IntVar(&cfg.Server.MaxConnections, "max-connections", cfg.Server.MaxConnections, "open connections per listener")
	fs.IntVar(&cfg.Server.MaxInFlightRequests, "max-in-flight-requests", cfg.Server.MaxInFlightRequests, "requests served at once; more are refused (429 / RESOURCE_EXHAUSTED)")
	fs.DurationVar(&cfg.Server.HTTPReadHeaderTimeout, "http-read-header-timeout", cfg.Server.HTTPReadHeaderTimeout, "bound on reading an HTTP request's headers")
	fs.DurationVar(&cfg.Server.HTTPReadTimeout, "http-read-timeout", cfg.Server.HTTPReadTimeout, "bound on reading a whole HTTP request, body included")
	fs.DurationVar(&cfg.Server.HTTPWriteTimeout, "http-write-timeout", cfg.Server.HTTPWriteTimeout, "bound on an HTTP request from its headers to the end of its response")
	fs.DurationVar(&cfg.Server.HTTPIdleTimeout, "http-idle-timeout", cfg.Server.HTTPIdleTimeout, "idle keep-alive HTTP connections are closed after this")
	fs.DurationVar(&cfg.Server.GRPCHandshakeTimeout, "grpc-handshake-timeout", cfg.Server.GRPCHandshakeTimeout, "bound on a new gRPC connection's TLS handshake and preface")
	fs.DurationVar(&cfg.Server.GRPCMaxConnectionIdle, "grpc-max-connection-idle", cfg.Server.GRPCMaxConnectionIdle, "gRPC connections without a call this long are closed")
	fs.DurationVar(&cfg.Server.GRPCKeepaliveTime, "grpc-keepalive-time", cfg.Server.GRPCKeepaliveTime, "silence after which the node pings a gRPC client")
	fs.DurationVar(&cfg.Server.GRPCKeepaliveTimeout, "grpc-keepalive-timeout", cfg.Server.GRPCKeepaliveTimeout, "wait for a keepalive ping's answer before closing the connection")
	fs.DurationVar(&cfg.Server.GRPCKeepaliveMinTime, "grpc-keepalive-min-time", cfg.Server.GRPCKeepaliveMinTime, "clients pinging more often than this are disconnected")
	fs.IntVar(&cfg.Server.GRPCMaxConcurrentStreams, "grpc-max-concurrent-streams", cfg.Server.GRPCMaxConcurrentStreams, "concurrent calls per gRPC connection")
	fs.IntVar(&cfg.Server.MaxRequestBytes, "max-request-bytes", cfg.Server.MaxRequestBytes, "largest inference request or push chunk, bytes")
	fs.Int64Var(&cfg.Server.RequestMemoryBytes, "request-memory-bytes", cfg.Server.RequestMemoryBytes, "bound on the bytes inference requests in flight hold; beyond it requests get 429 / RESOURCE_EXHAUSTED")
	fs.DurationVar(&cfg.Server.RequestTimeout, "request-timeout", cfg.Server.RequestTimeout, "bound on an HTTP request without a deadline of its own")
	fs.DurationVar(&cfg.Server.DrainTimeout, "drain-timeout", cfg.Server.DrainTimeout, "bound on the drain at shutdown")
	fs.Int64Var(&cfg.Store.QuotaBytes, "store-quota-bytes", cfg.Store.QuotaBytes, "bound on stored models and uploads in progress, bytes (0: free space only)")
	fs.Int64Var(&cfg.Store.MaxModelBytes, "max-model-bytes", cfg.Store.MaxModelBytes, "largest model a push may store, bytes (0: the store's default)")
	fs.DurationVar(&cfg.Store.GCInterval, "gc-interval", cfg.Store.GCInterval, "how often unreferenced model files are removed from the store")
	fs.DurationVar(&cfg.Store.GCGrace, "gc-grace", cfg.Store.GCGrace, "how long an unreferenced model file that no delete released is kept after it was written")
	fs.StringVar(&cfg.Runtime.ORTLibrary, "ort-lib", cfg.Runtime.ORTLibrary, "ONNX Runtime shared library (default $EDGESERVE_ORT_LIB, else the one make setup installed)")
	fs.IntVar(&cfg.Runtime.IntraOpThreads, "threads", cfg.Runtime.IntraOpThreads, "threads per inference (0: all cores)")
	fs.Int64Var(&cfg.Cache.MemoryBudgetBytes, "memory-budget-bytes", cfg.Cache.MemoryBudgetBytes, "memory budget of loaded models, bytes")
	fs.StringVar(&cfg.Cache.Policy, "policy", cfg.Cache.Policy, "cache eviction policy (lru, lfu, gdsf, cremebrulee, edgeserve)")
	fs.IntVar(&cfg.Cache.LoadConcurrency, "load-concurrency", cfg.Cache.LoadConcurrency, "concurrent model loads")
	fs.DurationVar(&cfg.Cache.LoadTimeout, "load-timeout", cfg.Cache.LoadTimeout, "bound on one model load")
	fs.StringVar(&cfg.Runtime.Provider, "ort-provider", cfg.Runtime.Provider, "ONNX Runtime execution provider: cpu, cuda or tensorrt")
	fs.IntVar(&cfg.Runtime.GPUDevice, "gpu-device", cfg.Runtime.GPUDevice, "GPU index the cuda and tensorrt providers use")
	fs.DurationVar(&cfg.Runtime.GPUProbeInterval, "gpu-probe-interval", cfg.Runtime.GPUProbeInterval, "how often to re-read the GPUs' memory (0: only at start)")
	fs.StringVar(&cfg.Runtime.NVMLLibrary, "nvml-lib", cfg.Runtime.NVMLLibrary, "NVML library for the GPU probe")
	fs.Int64Var(&cfg.Cache.GPUBudgetBytes, "gpu-budget-bytes", cfg.Cache.GPUBudgetBytes, "GPU memory budget of loaded models, bytes (0: the GPU's free memory at start, from NVML, minus --gpu-reserve-bytes)")
	fs.Int64Var(&cfg.Cache.GPUReserveBytes, "gpu-reserve-bytes", cfg.Cache.GPUReserveBytes, "GPU memory kept out of the budget NVML sets, bytes")
	addClusterFlags(fs, &cfg.Cluster)
	fs.BoolVar(&opts.devLog, "dev-log", false, "human-readable development logs")
	return fs
}

// doubleDash rewrites the single-dash form of a long flag (-data-dir, the
// form of earlier releases) to its double-dash form; everything after a
// bare "--" is left alone, and so is a value such as -1.
func doubleDash(args []string) []string {
	known := newFlagSet(new(node.Config), new(options))
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && known.Lookup(name) != nil {
			out[i] = "-" + a
		}
	}
	return out
}

// addClusterFlags binds the cluster's flags. A node given neither
// --region nor --join is a cluster of one.
func addClusterFlags(fs *pflag.FlagSet, c *node.ClusterConfig) {
	fs.StringVar(&c.Name, "name", c.Name, "node name, unique in the cluster")
	fs.StringVar(&c.Region, "region", c.Region, "region (the nodes that agree on placement); with --join, joins a cluster")
	fs.StringVar(&c.Site, "site", c.Site, "site the node runs at (default: the region)")
	fs.StringVar(&c.GossipAddr, "gossip-addr", c.GossipAddr, "gossip (memberlist) listen address, TCP and UDP")
	fs.StringVar(&c.AdvertiseAddr, "advertise-addr", c.AdvertiseAddr, "host (or host:port) other nodes reach this one at (default: the gossip address)")
	fs.StringSliceVar(&c.Join, "join", c.Join, "gossip addresses of nodes already in the cluster, host:port[,host:port]")
	fs.StringVar(&c.GossipKey, "gossip-key", c.GossipKey, "gossip encryption key (base64, 16/24/32 bytes) or a keyring file (JSON array of base64 keys)")
	fs.StringVar(&c.GossipProfile, "gossip-profile", c.GossipProfile, "gossip timing profile: lan or wan")
	fs.BoolVar(&c.InsecureCluster, "insecure-cluster", c.InsecureCluster, "allow plain-text gossip beyond loopback (trusted networks only)")
	fs.BoolVar(&c.LocalOnly, "local-only", c.LocalOnly, "serve every request here (load, fetch bytes) instead of forwarding misses to peers")
	fs.DurationVar(&c.HedgeAfter, "hedge-after", c.HedgeAfter, "start loading a model here when a forward has not answered after this long, and serve from whichever answers first (0: three times the forward's predicted latency, at least 50ms; negative: never)")
	fs.IntVar(&c.Replicas, "replicas", c.Replicas, "nodes (this one included) a pushed model must be durable on before the push is acknowledged")
	fs.StringVar(&c.Secret, "cluster-secret", c.Secret, "secret every node of the cluster shares, for node-to-node calls without mutual TLS (default $EDGESERVE_CLUSTER_SECRET)")
	fs.StringVar(&c.PeerCAFile, "peer-ca", c.PeerCAFile, "CA certificates (PEM) that sign peers' server certificates, for node-to-node TLS without mutual TLS (default: --tls-client-ca, else the system's roots)")
	fs.StringVar(&c.RaftAddr, "raft-addr", c.RaftAddr, "where the region's Raft group listens, host:port (default: the gossip host, port 8300)")
	fs.IntVar(&c.BootstrapExpect, "bootstrap-expect", c.BootstrapExpect, "how many of the region's nodes bootstrap its Raft group together (0: wait to be added by its leader)")
	fs.DurationVar(&c.PlanInterval, "plan-interval", c.PlanInterval, "how often the region's Raft leader recomputes the placement hints (default 10s)")
	fs.DurationVar(&c.RateHalfLife, "rate-half-life", c.RateHalfLife, "half-life of the request rates this node gossips, from which its region's leader plans hints")
	fs.StringVar(&c.TestNetemFile, "test-netem", c.TestNetemFile, "test only: a JSON file of gossip delays and cuts and peer address rewrites (loopback clusters; see node/netem.go)")
	fs.MarkHidden("test-netem") //nolint:errcheck // the flag exists
}
