package node

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/edgeserve/edgeserve/runtime/nvml"
	"github.com/edgeserve/edgeserve/runtime/ort"
	"github.com/edgeserve/edgeserve/store"
)

// Config holds a node's settings, one part per concern, each with its own
// defaults and validation. Start from DefaultConfig. The yaml tags are the
// keys of the config file (LoadConfigFile); the daemon's flags name the
// same settings.
type Config struct {
	// DataDir holds the model store, its interrupted uploads and the
	// prepared fast-loading forms.
	DataDir string `yaml:"data_dir"`
	// Version is the server version ServerMetadata reports (set at build).
	Version string `yaml:"-"`

	Server  ServerConfig  `yaml:"server"`
	Store   StoreConfig   `yaml:"store"`
	Runtime RuntimeConfig `yaml:"runtime"`
	Cache   CacheConfig   `yaml:"cache"`
	Cluster ClusterConfig `yaml:"cluster"`
}

// ServerConfig is how the node listens and whom it serves.
type ServerConfig struct {
	// GRPCAddr, HTTPAddr and MetricsAddr are the listen addresses (Triton's
	// ports by default). Port 0 picks a free port; see Node's *Addr methods.
	GRPCAddr    string `yaml:"grpc_addr"`
	HTTPAddr    string `yaml:"http_addr"`
	MetricsAddr string `yaml:"metrics_addr"`
	// HealthAddr, when set, serves only /v2/health/live and
	// /v2/health/ready in plain HTTP, for probes that cannot present a
	// client certificate (a kubelet under mutual TLS). It tells nothing
	// but whether the node is up and ready.
	HealthAddr string `yaml:"health_addr"`
	// AdminToken is the bearer token admin calls (push, delete, load,
	// unload) must carry. It may be empty only when every listener is on
	// loopback, or when InsecureAdmin is set.
	AdminToken string `yaml:"admin_token"`
	// InsecureAdmin allows an empty AdminToken on non-loopback listeners:
	// anyone who reaches the node can then change its models. For trusted
	// networks only (flag --insecure-admin).
	InsecureAdmin bool `yaml:"insecure_admin"`
	// TLSCertFile and TLSKeyFile, when both set, serve gRPC, HTTP and
	// metrics over TLS.
	TLSCertFile string `yaml:"tls_cert"`
	TLSKeyFile  string `yaml:"tls_key"`
	// TLSClientCAFile, when set (TLS only), is a PEM file of the CAs whose
	// client certificates the node accepts: every client of gRPC, HTTP and
	// metrics must then present a certificate one of them signed.
	TLSClientCAFile string `yaml:"tls_client_ca"`
	// MaxRequestBytes bounds one inference request (gRPC message or HTTP
	// body) and one push chunk; pushes stream in chunks of any total size.
	MaxRequestBytes int `yaml:"max_request_bytes"`
	// RequestMemoryBytes bounds the bytes all inference requests in flight
	// hold (decoded tensors; a gRPC request's message). A request that
	// would exceed it is refused with RESOURCE_EXHAUSTED / 429.
	RequestMemoryBytes int64 `yaml:"request_memory_bytes"`
	// RequestTimeout bounds an HTTP request that carries no deadline of its
	// own (gRPC requests are bounded by the client's deadline).
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// DrainTimeout bounds how long shutdown waits for in-flight requests.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// MaxConnections bounds the open connections of each listener (gRPC,
	// HTTP, metrics); further connections wait in the kernel's backlog.
	MaxConnections int `yaml:"max_connections"`
	// MaxInFlightRequests bounds the requests being served at once (health
	// probes excepted); more are refused with RESOURCE_EXHAUSTED / HTTP 429.
	MaxInFlightRequests int `yaml:"max_in_flight_requests"`
	// HTTPReadHeaderTimeout bounds reading a request's headers, and how long
	// a new connection may stay silent.
	HTTPReadHeaderTimeout time.Duration `yaml:"http_read_header_timeout"`
	// HTTPReadTimeout bounds reading a whole request, body included.
	HTTPReadTimeout time.Duration `yaml:"http_read_timeout"`
	// HTTPWriteTimeout bounds a request from the end of its headers to the
	// end of its response; it must exceed RequestTimeout and the cache's
	// LoadTimeout (an HTTP load waits for the load).
	HTTPWriteTimeout time.Duration `yaml:"http_write_timeout"`
	// HTTPIdleTimeout closes a keep-alive connection idle this long.
	HTTPIdleTimeout time.Duration `yaml:"http_idle_timeout"`
	// GRPCHandshakeTimeout bounds a new gRPC connection's TLS handshake and
	// HTTP/2 preface.
	GRPCHandshakeTimeout time.Duration `yaml:"grpc_handshake_timeout"`
	// GRPCMaxConnectionIdle closes a gRPC connection without a call for
	// this long (with a GOAWAY, then a few seconds' grace).
	GRPCMaxConnectionIdle time.Duration `yaml:"grpc_max_connection_idle"`
	// GRPCKeepaliveTime is the silence after which the node pings a gRPC
	// client; GRPCKeepaliveTimeout is how long it waits for the answer
	// before closing the connection (gRPC raises a time under 1s to 1s).
	GRPCKeepaliveTime    time.Duration `yaml:"grpc_keepalive_time"`
	GRPCKeepaliveTimeout time.Duration `yaml:"grpc_keepalive_timeout"`
	// GRPCKeepaliveMinTime is the shortest interval between a client's
	// keepalive pings; a client pinging more often is disconnected.
	GRPCKeepaliveMinTime time.Duration `yaml:"grpc_keepalive_min_time"`
	// GRPCMaxConcurrentStreams bounds the concurrent calls on one gRPC
	// connection.
	GRPCMaxConcurrentStreams int `yaml:"grpc_max_concurrent_streams"`
	// GRPCWindowBytes is the HTTP/2 flow-control window of each gRPC
	// stream, both ways (requests in; forwards and fetches to peers out);
	// a connection's is four times it. 0: grpc-go's own, which starts at
	// 64 KiB and grows from measured bandwidth-delay products, so that a
	// large request over a fresh or quiet link between regions waits a
	// round trip for every window it fills (docs/routing.md).
	GRPCWindowBytes int `yaml:"grpc_window_bytes"`
}

// StoreConfig bounds the model store under DataDir.
type StoreConfig struct {
	// QuotaBytes bounds the bytes of stored models, uploads in progress
	// included (0: only the file system's free space bounds them).
	QuotaBytes int64 `yaml:"quota_bytes"`
	// MaxModelBytes bounds one stored model's file (0: the store's
	// default); a push declaring more is refused before any byte is written.
	MaxModelBytes int64 `yaml:"max_model_bytes"`
	// GCInterval is how often the store's unreferenced blobs (and their
	// prepared forms) are collected; deletes collect at once as well.
	GCInterval time.Duration `yaml:"gc_interval"`
	// GCGrace is how long an unreferenced blob that no delete released is
	// kept after it was written (a blob from a peer waiting for its
	// record). Pushes in progress are kept whatever their age.
	GCGrace time.Duration `yaml:"gc_grace"`
}

// RuntimeConfig is the inference backend.
type RuntimeConfig struct {
	// ORTLibrary is the ONNX Runtime shared library (default $EDGESERVE_ORT_LIB).
	ORTLibrary string `yaml:"ort_lib"`
	// IntraOpThreads is the threads one inference may use (0: all cores).
	IntraOpThreads int `yaml:"threads"`
	// Provider is ONNX Runtime's execution provider: "cpu", "cuda" or
	// "tensorrt" (the last two run models on GPUDevice and give the cache
	// a GPU budget, CacheConfig.GPUBudgetBytes).
	Provider string `yaml:"provider"`
	// GPUDevice is the index of the GPU the cuda and tensorrt providers use.
	GPUDevice int `yaml:"gpu_device"`
	// GPUProbeInterval is how often the node re-reads its GPUs' memory for
	// its status and metrics (0: only at start).
	GPUProbeInterval time.Duration `yaml:"gpu_probe_interval"`
	// NVMLLibrary is the NVML library the GPU probe loads (a path or a
	// name the dynamic linker resolves).
	NVMLLibrary string `yaml:"nvml_lib"`
}

// CacheConfig is the memory-budgeted model cache.
type CacheConfig struct {
	// MemoryBudgetBytes bounds the memory of loaded models.
	MemoryBudgetBytes int64 `yaml:"memory_budget_bytes"`
	// Policy is the eviction policy (placement/policy names: lru, lfu,
	// gdsf, cremebrulee, edgeserve).
	Policy string `yaml:"policy"`
	// LoadConcurrency bounds concurrent model loads.
	LoadConcurrency int `yaml:"load_concurrency"`
	// LoadTimeout bounds one model load.
	LoadTimeout time.Duration `yaml:"load_timeout"`
	// SizeHintFactor estimates a never-loaded model's memory as its file
	// size times this factor, to make room before its first load. The cache
	// charges a model its anonymous memory: 0.04-0.6 of the file for the
	// zoo's fast forms (docs/memory.md), several times the file for the
	// default form; a load that measures more waits for room and loads again.
	SizeHintFactor float64 `yaml:"size_hint_factor"`
	// GPUBudgetBytes is the GPU memory budget of loaded models on a GPU
	// provider; 0 sets it at start from NVML: the GPU's free memory minus
	// GPUReserveBytes.
	GPUBudgetBytes int64 `yaml:"gpu_budget_bytes"`
	// GPUReserveBytes is GPU memory, in bytes, left out of the budget NVML
	// sets (for the runtime's own allocations and other processes).
	GPUReserveBytes int64 `yaml:"gpu_reserve_bytes"`
}

// DefaultConfig returns a node listening on Triton's ports with data in dir.
func DefaultConfig(dir string) Config {
	return Config{
		DataDir: dir,
		Version: "dev",
		Server:  DefaultServerConfig(),
		Store:   DefaultStoreConfig(),
		Runtime: DefaultRuntimeConfig(),
		Cache:   DefaultCacheConfig(),
		Cluster: DefaultClusterConfig(),
	}
}

// DefaultServerConfig listens on Triton's ports on every interface, but
// for metrics, which stay on loopback unless asked.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{
		GRPCAddr:           ":8001",
		HTTPAddr:           ":8000",
		MetricsAddr:        "127.0.0.1:8002",
		MaxRequestBytes:    64 << 20,
		RequestMemoryBytes: 512 << 20,
		RequestTimeout:     time.Minute,
		DrainTimeout:       30 * time.Second,

		MaxConnections:           1024,
		MaxInFlightRequests:      256,
		HTTPReadHeaderTimeout:    10 * time.Second,
		HTTPReadTimeout:          2 * time.Minute,
		HTTPWriteTimeout:         3 * time.Minute,
		HTTPIdleTimeout:          time.Minute,
		GRPCHandshakeTimeout:     10 * time.Second,
		GRPCMaxConnectionIdle:    5 * time.Minute,
		GRPCKeepaliveTime:        time.Minute,
		GRPCKeepaliveTimeout:     20 * time.Second,
		GRPCKeepaliveMinTime:     10 * time.Second,
		GRPCMaxConcurrentStreams: 128,
		GRPCWindowBytes:          4 << 20,
	}
}

// DefaultStoreConfig has no quota and collects every ten minutes.
func DefaultStoreConfig() StoreConfig {
	return StoreConfig{GCInterval: 10 * time.Minute, GCGrace: 15 * time.Minute}
}

// DefaultRuntimeConfig runs one thread per inference on the library that
// make setup installs (or $EDGESERVE_ORT_LIB).
func DefaultRuntimeConfig() RuntimeConfig {
	return RuntimeConfig{ORTLibrary: ort.DefaultLibraryPath(), IntraOpThreads: 1, Provider: ort.ProviderCPU,
		GPUProbeInterval: 30 * time.Second, NVMLLibrary: nvml.DefaultLibrary}
}

// DefaultCacheConfig is a 2 GiB LRU cache.
func DefaultCacheConfig() CacheConfig {
	return CacheConfig{
		MemoryBudgetBytes: 2 << 30,
		Policy:            "lru",
		LoadConcurrency:   2,
		LoadTimeout:       2 * time.Minute,
		SizeHintFactor:    0.5,
		GPUReserveBytes:   512 << 20,
	}
}

// Validate checks the configuration as New does, before anything binds:
// every part's rules and those that join parts (credentials beyond
// loopback). Deployment tooling can check a config file with it.
func (c Config) Validate() error { return c.validate() }

// validate checks every part.
func (c Config) validate() error {
	if c.DataDir == "" {
		return errors.New("node: config: data_dir is empty")
	}
	for _, err := range []error{c.Server.validate(), c.Store.validate(), c.Runtime.validate(), c.Cache.validate(), c.Cluster.validate()} {
		if err != nil {
			return fmt.Errorf("node: config: %w", err)
		}
	}
	if cl := c.Cluster; cl.Enabled() && cl.Secret == "" && c.Server.TLSClientCAFile == "" && !IsLoopback(c.Server.GRPCAddr) {
		return fmt.Errorf("node: config: cluster: node-to-node calls need credentials beyond loopback: a cluster secret (--cluster-secret, $EDGESERVE_CLUSTER_SECRET) or mutual TLS (--tls-client-ca)")
	}
	if err := c.validateRaftTLS(); err != nil {
		return fmt.Errorf("node: config: %w", err)
	}
	if s := c.Server; s.HTTPWriteTimeout <= max(s.RequestTimeout, c.Cache.LoadTimeout) {
		return fmt.Errorf("node: config: server: http_write_timeout %v must exceed request_timeout %v and cache load_timeout %v, or answers are cut off",
			s.HTTPWriteTimeout, s.RequestTimeout, c.Cache.LoadTimeout)
	}
	return nil
}

func (c ServerConfig) validate() error {
	switch {
	case c.GRPCAddr == "" || c.HTTPAddr == "":
		return errors.New("server: grpc_addr and http_addr are required")
	case c.MaxRequestBytes <= 0:
		return fmt.Errorf("server: max_request_bytes %d must be positive", c.MaxRequestBytes)
	case c.RequestMemoryBytes <= 0:
		return fmt.Errorf("server: request_memory_bytes %d must be positive", c.RequestMemoryBytes)
	case c.RequestTimeout <= 0 || c.DrainTimeout <= 0:
		return errors.New("server: request_timeout and drain_timeout must be positive")
	case (c.TLSCertFile == "") != (c.TLSKeyFile == ""):
		return errors.New("server: tls_cert and tls_key go together")
	case c.AdminToken == "" && !c.InsecureAdmin && !(IsLoopback(c.GRPCAddr) && IsLoopback(c.HTTPAddr)):
		return fmt.Errorf("server: no admin token (AdminToken) while listening beyond loopback (gRPC %q, HTTP %q): set a token, or insecure_admin to allow anyone to change the models", c.GRPCAddr, c.HTTPAddr)
	case c.TLSClientCAFile != "" && c.TLSCertFile == "":
		return errors.New("server: tls_client_ca needs tls_cert and tls_key")
	}
	return c.validateLimits()
}

// validateLimits checks the connection and request bounds.
func (c ServerConfig) validateLimits() error {
	switch {
	case c.MaxConnections <= 0 || c.MaxInFlightRequests <= 0 || c.GRPCMaxConcurrentStreams <= 0 || c.GRPCMaxConcurrentStreams > math.MaxUint32:
		return fmt.Errorf("server: max_connections %d, max_in_flight_requests %d and grpc_max_concurrent_streams %d must be positive (streams at most 2^32-1)",
			c.MaxConnections, c.MaxInFlightRequests, c.GRPCMaxConcurrentStreams)
	case c.HTTPReadHeaderTimeout <= 0 || c.HTTPReadTimeout <= 0 || c.HTTPWriteTimeout <= 0 || c.HTTPIdleTimeout <= 0:
		return errors.New("server: http_read_header_timeout, http_read_timeout, http_write_timeout and http_idle_timeout must be positive")
	case c.GRPCHandshakeTimeout <= 0 || c.GRPCMaxConnectionIdle <= 0 || c.GRPCKeepaliveTime <= 0 ||
		c.GRPCKeepaliveTimeout <= 0 || c.GRPCKeepaliveMinTime <= 0:
		return errors.New("server: grpc_handshake_timeout, grpc_max_connection_idle and the grpc_keepalive times must be positive")
	case c.GRPCWindowBytes != 0 && (c.GRPCWindowBytes < minGRPCWindow || c.GRPCWindowBytes > maxGRPCWindow):
		return fmt.Errorf("server: grpc_window_bytes %d must be 0 (grpc-go's own) or from %d to %d", c.GRPCWindowBytes, minGRPCWindow, maxGRPCWindow)
	}
	return nil
}

func (c StoreConfig) validate() error {
	switch {
	case c.QuotaBytes < 0 || c.MaxModelBytes < 0:
		return fmt.Errorf("store: quota_bytes %d and max_model_bytes %d must not be negative", c.QuotaBytes, c.MaxModelBytes)
	case c.GCInterval <= 0 || c.GCGrace < 0:
		return fmt.Errorf("store: gc_interval %v must be positive, gc_grace %v not negative", c.GCInterval, c.GCGrace)
	}
	return nil
}

func (c RuntimeConfig) validate() error {
	switch {
	case c.IntraOpThreads < 0:
		return fmt.Errorf("runtime: threads %d is negative", c.IntraOpThreads)
	case c.Provider != ort.ProviderCPU && !gpuProvider(c.Provider):
		return fmt.Errorf("runtime: provider %q: want cpu, cuda or tensorrt", c.Provider)
	case c.GPUDevice < 0 || c.GPUProbeInterval < 0:
		return fmt.Errorf("runtime: gpu_device %d and gpu_probe_interval %v must not be negative", c.GPUDevice, c.GPUProbeInterval)
	}
	return nil
}

func (c CacheConfig) validate() error {
	switch {
	case c.MemoryBudgetBytes <= 0:
		return fmt.Errorf("cache: memory_budget_bytes %d must be positive", c.MemoryBudgetBytes)
	case c.LoadConcurrency <= 0:
		return fmt.Errorf("cache: load_concurrency %d must be positive", c.LoadConcurrency)
	case c.LoadTimeout <= 0:
		return errors.New("cache: load_timeout must be positive")
	case c.SizeHintFactor < 0:
		return fmt.Errorf("cache: size_hint_factor %v is negative", c.SizeHintFactor)
	case c.GPUBudgetBytes < 0 || c.GPUReserveBytes < 0:
		return fmt.Errorf("cache: gpu_budget_bytes %d and gpu_reserve_bytes %d must not be negative", c.GPUBudgetBytes, c.GPUReserveBytes)
	}
	return nil
}

// storeConfig is the model store's configuration under DataDir.
func (c Config) storeConfig() store.Config {
	sc := store.DefaultConfig(filepath.Join(c.DataDir, "store"))
	sc.QuotaBytes = c.Store.QuotaBytes
	sc.GCGrace = c.Store.GCGrace
	if c.Store.MaxModelBytes > 0 {
		sc.MaxModelBytes = c.Store.MaxModelBytes
	}
	return sc
}
