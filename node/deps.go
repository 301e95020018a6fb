package node

import (
	"context"
	"github.com/edgeserve/edgeserve/placement/raftgroup"
	"io"
	"time"

	"github.com/edgeserve/edgeserve/placement/cache"

	"github.com/edgeserve/edgeserve/gossip"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Deps are a node's collaborators, kept apart from its settings.
type Deps struct {
	// Logger defaults to a no-op logger.
	Logger *zap.Logger
	// Loader loads models; nil builds the ONNX Runtime backend from Config.
	Loader runtime.Loader
	// Registry receives the node's and the cache's metrics and is served
	// on the metrics port; nil makes a fresh one.
	Registry *prometheus.Registry
	// GPUProber reads the GPUs' memory; nil probes through NVML
	// (Config.NVMLLibrary).
	GPUProber GPUProber
	// GossipTune adjusts the gossip configuration before the node joins
	// (tests shorten timers); GossipDelay delays gossip packets (tests give
	// loopback a WAN's shape). Both nil in production.
	GossipTune func(*gossip.Config)
	// RaftTune adjusts the region's Raft group configuration (tests
	// shorten timers).
	RaftTune func(*raftgroup.Config)
	// PreloadIdle is how long a model that is not hinted must have gone
	// unused before a hint's preload may take its place; 0 is
	// route.DefaultHotWindow (tests shorten it).
	PreloadIdle time.Duration
	// NoDemandPreload, for measurement, makes demand hints only weigh the
	// copies they name (evicted last) and preload none.
	NoDemandPreload bool

	GossipDelay gossip.DelayFunc
	// PeerAddr rewrites a peer's gRPC address before the node dials it
	// (tests route peer links through a delaying proxy); nil in
	// production.
	PeerAddr func(addr string) string

	// pageCached is set by New: the share of a model's prepared weights in
	// the page cache (placement/cache Deps.PageCached).
	pageCached func(key string) (float64, bool)
	// heldBytes is set by New when the loader reports memory it holds
	// outside every model's charge (placement/cache Deps.HeldBytes).
	heldBytes func() int64
}

// modelStore is what the node uses of the model store (store.Store).
type modelStore interface {
	BeginUpload(ctx context.Context, want store.Digest, size int64) (*store.Upload, error)
	Get(ctx context.Context, name, ref string) (store.Record, error)
	ModelFile(ctx context.Context, name, ref string) (store.Record, string, error)
	List(ctx context.Context) ([]store.Record, error)
	Delete(ctx context.Context, name string, version int64) (store.Record, error)
	GetArtifact(ctx context.Context, d store.Digest, runtimeKey string) (store.Artifact, error)
	PutArtifact(ctx context.Context, a store.Artifact) error
	ArtifactDir(d store.Digest, runtimeKey string) (string, error)
	GC(ctx context.Context) (store.GCResult, error)
	OpenBlob(ctx context.Context, d store.Digest) (io.ReadCloser, int64, error)
	Close() error
}

// modelCache is what the node uses of the model cache, keyed by a model
// version's reference ("name:version").
type modelCache interface {
	// Acquire returns the loaded model, loading it on a miss within ctx.
	Acquire(ctx context.Context, key string, sizeHintBytes int64) (lease, error)
	// Pin loads the model and keeps it loaded until Unload.
	Pin(ctx context.Context, key string, sizeHintBytes int64) error
	// Unload unpins the model and removes it once no request uses it.
	Unload(key string) bool
	// Preload loads the model if needed, counting no request, and leaves
	// it evictable (a placement hint's copy). To make room it evicts only
	// what opts' eviction rule (cache.AcquireOptions.EvictIdleFor and the
	// fields after it) lets go, and is declined (cache.ErrDeclined) when
	// that cannot make it.
	Preload(ctx context.Context, key string, opts cache.AcquireOptions) error
	// SetHint weighs the model by a placement hint (0: none): a hinted
	// model is evicted last.
	SetHint(key string, weight float64) bool
	// SetVictimPreference makes a request's load evict models cheap
	// says are cheap to evict, or idle for idle, before the others
	// (cache.Cache.SetVictimPreference).
	SetVictimPreference(cheap func(key string, loadTime time.Duration) bool, idle time.Duration)
	// SetSubstitute tells a policy that values it (policy.Substitutable)
	// what serving the model's requests with a loaded equivalent of its
	// task costs (policy.NoSubstitute: none can).
	SetSubstitute(key string, cost time.Duration) bool
	Resident(key string) bool
	// Facts is what the cache learnt of a model (measured load time).
	Facts(key string) (cache.Facts, bool)
	// Memory is the two tiers of the loaded models' memory.
	Memory() memoryStatus
	// Close unloads every model.
	Close(ctx context.Context) error
}

// lease is one request's use of a loaded model.
type lease interface {
	Model() runtime.Model
	// Hit says whether the model was loaded when the request asked.
	Hit() bool
	Release()
}
