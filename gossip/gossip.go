package gossip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"github.com/hashicorp/memberlist"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Deps are a gossip node's collaborators.
type Deps struct {
	// Logger defaults to a no-op logger; memberlist's own log lines go to
	// it too, named "memberlist".
	Logger *zap.Logger
	// Registerer receives the gossip and cluster metrics; nil: none.
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Delay, when set, delays every packet and new stream (see DelayFunc).
	// For tests and benchmarks on loopback.
	Delay DelayFunc
}

// Gossip is one node's membership in the cluster.
type Gossip struct {
	cfg     Config
	log     *zap.Logger
	now     func() time.Time
	epoch   int64
	meta    []byte
	clock   *hlc
	cat     *catalog
	states  *states
	coords  *coords
	members *members
	subs    *subscribers
	metrics *metrics
	sent    atomic.Uint64

	ml    *memberlist.Memberlist
	queue *memberlist.TransmitLimitedQueue

	mu        sync.Mutex // guards local, published, seq, dirty
	local     Local
	published []string // the loaded set of the last state published
	// publishedStored is the stored set of the last state published.
	publishedStored []string
	seq             uint64
	dirty           bool // local figures changed since the last publication
	leaving         bool // Leave was called

	stop     chan struct{}
	bg       sync.WaitGroup
	stopOnce sync.Once
	joined   chan struct{} // closed once a join succeeded (or none was asked)
}

// Local is this node's own state, as the node reports it.
type Local struct {
	// Loaded are the model versions ("name:version") loaded here, and
	// Loading those whose load is in progress.
	Loaded, Loading []string
	// Stored are the model versions whose bytes this node stores, which
	// peers may fetch from it.
	Stored                                 []string
	MemoryBudgetBytes, MemoryHeadroomBytes int64
	// GPUs is empty without a GPU.
	GPUs                        []GPU
	LoadsInProgress, QueueDepth int
	// Rates are request rates per model; the TopRates highest are gossiped.
	Rates map[string]float64
	// Placement is this node's view of its region's placement group (nil:
	// it runs none).
	Placement *Placement
}

// fullLimit bounds a broadcast state: a state that encodes larger goes as
// a delta (memberlist's packets are about 1,400 bytes).
const fullLimit = 1000

// New starts the node's gossip: it listens, and joins cfg.Join in the
// background, retrying until one answers.
func New(cfg Config, deps Deps) (*Gossip, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Gossip{cfg: cfg, log: deps.Logger, now: deps.Now, stop: make(chan struct{}), joined: make(chan struct{}),
		states: newStates(), members: newMembers(), subs: &subscribers{}}
	if g.log == nil {
		g.log = zap.NewNop()
	}
	if g.now == nil {
		g.now = time.Now
	}
	g.epoch = g.now().UnixNano()
	g.clock = &hlc{now: g.now, maxSkew: cfg.MaxClockSkew}
	g.cat = newCatalog(cfg.TombstoneTTL)
	var err error
	if g.coords, err = newCoords(); err != nil {
		return nil, err
	}
	if g.meta, err = encode(&gossippb.NodeMeta{Region: cfg.Region, Site: cfg.site(), GrpcAddr: cfg.Services.GRPCAddr,
		HttpAddr: cfg.Services.HTTPAddr, PeerAddr: cfg.Services.PeerAddr, RaftAddr: cfg.Services.RaftAddr, Protocol: ProtocolVersion}); err != nil {
		return nil, err
	}
	if len(g.meta) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("gossip: node metadata of %d bytes exceeds memberlist's %d", len(g.meta), memberlist.MetaMaxSize)
	}
	g.metrics = newMetrics(deps.Registerer, g)
	if err := g.create(deps.Delay); err != nil {
		return nil, err
	}
	g.publish()
	g.bg.Add(3)
	go g.loop()
	go g.joinLoop()
	go g.reconnectLoop()
	return g, nil
}

func (c Config) site() string {
	if c.Site == "" {
		return c.Region
	}
	return c.Site
}

// create builds memberlist over the counting (and delaying) transport.
func (g *Gossip) create(delay DelayFunc) error {
	mc := g.cfg.memberlistConfig()
	mc.Logger = memberlistLogger(g.log)
	host, port, _ := splitBind(g.cfg.BindAddr)
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{BindAddrs: []string{host}, BindPort: port, Logger: mc.Logger})
	if err != nil {
		return fmt.Errorf("gossip: listen on %s: %w", g.cfg.BindAddr, err)
	}
	mc.BindAddr, mc.BindPort = host, nt.GetAutoBindPort()
	mc.AdvertisePort = mc.BindPort
	if a := g.cfg.AdvertiseAddr; a != "" {
		if h, p, err := net.SplitHostPort(a); err == nil {
			mc.AdvertiseAddr = h
			if mc.AdvertisePort, err = strconv.Atoi(p); err != nil {
				nt.Shutdown()
				return fmt.Errorf("gossip: advertise address %q: bad port", a)
			}
		} else {
			mc.AdvertiseAddr = a
		}
	}
	selfHost := mc.AdvertiseAddr
	if selfHost == "" {
		selfHost = host
	}
	mc.Transport = newTransport(nt, net.JoinHostPort(selfHost, strconv.Itoa(mc.AdvertisePort)), delay, &g.sent)
	if len(g.cfg.Keys) > 0 {
		if mc.Keyring, err = memberlist.NewKeyring(g.cfg.Keys[1:], g.cfg.Keys[0]); err != nil {
			nt.Shutdown()
			return fmt.Errorf("gossip: keyring: %w", err)
		}
	}
	g.queue = &memberlist.TransmitLimitedQueue{NumNodes: g.numMembers, RetransmitMult: mc.RetransmitMult}
	mc.Delegate, mc.Events, mc.Ping = delegate{g}, eventDelegate{g}, pingDelegate{g}
	ml, err := memberlist.Create(mc)
	if err != nil {
		mc.Transport.Shutdown()
		return fmt.Errorf("gossip: start memberlist: %w", err)
	}
	g.ml = ml
	return nil
}

func (g *Gossip) numMembers() int {
	if g.ml == nil {
		return 1
	}
	return g.ml.NumMembers()
}

// Addr is the address other nodes gossip with this one at.
func (g *Gossip) Addr() string {
	n := g.ml.LocalNode()
	return net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port)))
}

// Name is this node's name.
func (g *Gossip) Name() string { return g.cfg.Name }

// Join contacts addrs now; it returns how many answered.
func (g *Gossip) Join(addrs []string) (int, error) {
	n, err := g.ml.Join(addrs)
	if n > 0 {
		return n, nil
	}
	return 0, fmt.Errorf("gossip: join %v: %w", addrs, err)
}

// joinLoop joins cfg.Join, retrying every JoinRetryInterval.
func (g *Gossip) joinLoop() {
	defer g.bg.Done()
	defer close(g.joined)
	addrs := g.joinAddrs()
	for attempt := 1; len(addrs) > 0; attempt++ {
		n, err := g.Join(addrs)
		if err == nil {
			g.log.Info("gossip: joined", zap.Int("answered", n), zap.Int("members", g.ml.NumMembers()))
			return
		}
		g.metrics.joinFailures.Inc()
		if g.cfg.JoinAttempts > 0 && attempt >= g.cfg.JoinAttempts {
			g.log.Error("gossip: join failed; giving up", zap.Int("attempts", attempt), zap.Error(err))
			return
		}
		g.log.Warn("gossip: join failed; retrying", zap.Int("attempt", attempt), zap.Error(err))
		select {
		case <-g.stop:
			return
		case <-time.After(g.cfg.JoinRetryInterval):
		}
	}
}

// joinAddrs are the join addresses other than this node's own.
func (g *Gossip) joinAddrs() []string {
	self := g.Addr()
	var out []string
	for _, a := range g.cfg.Join {
		if a != "" && a != self {
			out = append(out, a)
		}
	}
	return out
}

// WaitJoined waits until the background join succeeded or gave up.
func (g *Gossip) WaitJoined(ctx context.Context) error {
	select {
	case <-g.joined:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loop gossips changed figures every StateInterval and expires tombstones.
func (g *Gossip) loop() {
	defer g.bg.Done()
	t := time.NewTicker(g.cfg.StateInterval)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
			g.mu.Lock()
			dirty := g.dirty
			g.mu.Unlock()
			if dirty {
				g.publish()
			}
			g.cat.expire(g.now())
			for _, name := range g.members.prune(g.now().Add(-g.cfg.TombstoneTTL)) {
				g.states.drop(name)
			}
		}
	}
}

// Leave tells the cluster this node is leaving (others mark it left, not
// failed), waiting up to timeout, then stops gossiping.
func (g *Gossip) Leave(timeout time.Duration) error {
	g.mu.Lock()
	g.leaving = true
	g.mu.Unlock()
	g.publish()
	// Give the leaving state a chance to spread before memberlist's own
	// leave message, which alone would read as a failure.
	deadline := time.Now().Add(timeout / 2)
	for g.queue.NumQueued() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	err := g.ml.Leave(timeout)
	return errors.Join(err, g.Shutdown())
}

// Shutdown stops gossiping without a goodbye: others will find the node
// failed.
func (g *Gossip) Shutdown() error {
	var err error
	g.stopOnce.Do(func() {
		close(g.stop)
		err = g.ml.Shutdown()
		g.bg.Wait()
		g.subs.closeAll()
	})
	return err
}

// SetLocal records this node's state. A change of the loaded, loading or
// stored set is gossiped at once; other changes within StateInterval.
func (g *Gossip) SetLocal(l Local) {
	l.Loaded = slices.Clone(l.Loaded)
	slices.Sort(l.Loaded)
	l.Loaded = slices.Compact(l.Loaded)
	l.Loading = slices.Clone(l.Loading)
	slices.Sort(l.Loading)
	l.Loading = slices.Compact(l.Loading)
	l.Stored = slices.Clone(l.Stored)
	slices.Sort(l.Stored)
	l.Stored = slices.Compact(l.Stored)
	g.mu.Lock()
	loadedChanged := !slices.Equal(l.Loaded, g.local.Loaded) || !slices.Equal(l.Stored, g.local.Stored) ||
		!slices.Equal(l.Loading, g.local.Loading)
	figuresChanged := !sameFigures(l, g.local)
	g.local = l
	if figuresChanged {
		g.dirty = true
	}
	g.mu.Unlock()
	if loadedChanged {
		g.publish()
	}
}

func sameFigures(a, b Local) bool {
	if a.MemoryBudgetBytes != b.MemoryBudgetBytes || a.MemoryHeadroomBytes != b.MemoryHeadroomBytes ||
		a.LoadsInProgress != b.LoadsInProgress || a.QueueDepth != b.QueueDepth || !slices.Equal(a.GPUs, b.GPUs) ||
		len(a.Rates) != len(b.Rates) || (a.Placement == nil) != (b.Placement == nil) ||
		(a.Placement != nil && *a.Placement != *b.Placement) {
		return false
	}
	for m, r := range a.Rates {
		if b.Rates[m] != r {
			return false
		}
	}
	return true
}

// SentBytes is how many bytes this node has sent to gossip (packets and
// streams, memberlist's own probes included).
func (g *Gossip) SentBytes() uint64 { return g.sent.Load() }
