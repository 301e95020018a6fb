package policy

import (
	"fmt"
	"math"
	"time"
)

// EdgeServe is EdgeServe's own policy; the package comment explains the
// design. Optional hooks: SetPeerCopy, SetSubstitute, SetHint; it also
// preloads (Preload).
type EdgeServe struct {
	cfg EdgeServeConfig
	t   table
	// logCnt is each model's decayed request count in the log domain,
	// log(sum_i 2^(t_i/HalfLife)); -Inf before the first request.
	logCnt []float64
	// sampled marks the models the online tuning (ladder, shadows)
	// follows; sampledShare is their share of all model bytes.
	sampled      []bool
	sampledShare float64
	// hl is the short half-life in use (cfg.HalfLife, or the one the
	// ladder chose).
	hl     time.Duration
	ladder ladder
	// logLong is the same with LongHalfLife.
	logLong []float64
	memory  memory
	last    []int64
	// peerRTT is the round trip to a peer holding a loaded copy (0: none).
	peerRTT []time.Duration
	// subCost is what serving k's requests with a loaded equivalent costs
	// (NoSubstitute: none can).
	subCost []time.Duration
	// logHint is log(1 + placement hint weight).
	logHint []float64
	// resident orders resident models by log utility, lowest first;
	// cold orders the others by negated log utility, for preloading.
	resident, cold *keyHeap
	// cur is the model of the request being served.
	cur Key
	// preloadFree is the free memory at the last Preload that found
	// nothing; coldChanged says the cold heap's top may have changed since.
	preloadFree int64
	coldChanged bool
	periods     periods
	// instant says loads complete at once (SetInstantLoads).
	instant bool
	// shadows score admission ratios online (AdmitRatios), and the
	// knapsack's set (Knapsack; nil: off).
	shadows shadows
	knap    *knapsack
	// knapFree is the free memory at the last knapsack Preload.
	knapFree int64
	// used is the resident models' bytes, as OnInsert and OnRemove report.
	used int64
	// name is the registered name it was built under ("": edgeserve).
	name string
}

// EdgeServeConfig tunes the EdgeServe policy.
type EdgeServeConfig struct {
	// HalfLife is the half-life of the decayed request counts from which
	// request rates are estimated. The Azure Functions trace counts
	// invocations per minute, so rates change at minute scale; 10 s, which
	// weighs the last half minute, measured better than 30 s or 60 s and
	// as well as 5 s (the package comment).
	HalfLife time.Duration
	// HalfLives, when it has two or more entries, makes the short
	// half-life adaptive: a decayed count is kept per half-life, each is
	// scored on how well its rate estimates predicted the requests that
	// came (ScoreHalfLife, ChooseEvery: ladder.go), and the best one is
	// used instead of HalfLife.
	HalfLives []time.Duration
	// AdmitRatios, when it has two or more entries, makes the admission
	// ratio adaptive: each ratio runs a shadow cache scored on its load
	// delay (shadow.go), and the cheapest one's ratio is used instead of
	// AdmitRatio.
	AdmitRatios []float64
	// Knapsack adds the knapsack's shadow to AdmitRatios' (knapsack.go)
	// under instant loads (SetInstantLoads): where the shadows follow every
	// model, a set chosen as a 0/1 knapsack of expected savings every
	// KnapsackEvery, which the policy keeps (and declines models outside
	// it) while that shadow is the cheapest. Without AdmitRatios' shadows
	// it is off.
	Knapsack      bool
	KnapsackEvery time.Duration
	// ScoreHalfLife is how fast the scores of half-lives and shadows
	// forget; ChooseEvery how often the best ones are chosen again.
	ScoreHalfLife, ChooseEvery time.Duration
	// LongHalfLife, when positive, is the half-life used instead while the
	// cache's victims have typically been idle longer than LongAfter (until
	// they are idle less than ShortBelow); admission control is then off.
	LongHalfLife          time.Duration
	LongAfter, ShortBelow time.Duration
	// Admission declines to cache a missed model whose expected savings
	// (rate x load cost) are below AdmitRatio times those of the models it
	// would displace; the model is then served from a transient load.
	Admission bool
	// AdmitRatio scales the missed model's savings in that comparison
	// (1: plain comparison; larger admits more).
	AdmitRatio float64
	// DelayedHits counts, in the cost of a miss, the requests expected to
	// arrive while the model loads (each waits part of the load). It is
	// off by default: on the Azure sample it measured worse, even where
	// the simulator charges delayed hits (the package comment).
	DelayedHits bool
	// SizeExponent is the power of the size in the utility's denominator
	// (1: savings per byte).
	SizeExponent float64
	// Periodic protects models whose timer-like arrivals are due: their
	// savings are at least a miss per time left until the next arrival.
	Periodic bool
	// MinPeriod is the shortest gap counted as a period (shorter gaps are
	// within a burst); MaxJitter the largest relative jitter of a periodic
	// model's gaps.
	MinPeriod time.Duration
	MaxJitter float64
	// Preload lets Preload fill free memory with the most useful models
	// that are not resident.
	Preload bool
	// PreloadCandidates bounds how many non-resident models Preload
	// examines per call (its cost is O(PreloadCandidates log n)).
	PreloadCandidates int
	// PreloadMinRequests is the decayed request count a model needs to be
	// preloaded: a model seen once long ago is not worth the memory.
	PreloadMinRequests float64
}

// DefaultEdgeServeConfig is the default configuration: FixedEdgeServeConfig
// with the short half-life chosen online among 2.5 s to 40 s.
func DefaultEdgeServeConfig() EdgeServeConfig {
	c := FixedEdgeServeConfig()
	c.HalfLives = []time.Duration{2500 * time.Millisecond, 5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second}
	c.AdmitRatios = []float64{0.5, 1, 2}
	c.ScoreHalfLife, c.ChooseEvery = 10*time.Minute, time.Minute
	c.Knapsack, c.KnapsackEvery = true, time.Second
	return c
}

// cvVariantConfig is a variant of DefaultEdgeServeConfig that the
// cross-validation (docs/policies.md) weighs against it: "long", the
// half-life ladder one step longer (5-80 s); "wide", admission ratios
// 0.25-4 instead of 0.5-2; "noknap", without the knapsack's shadow (the
// default until the cross-validation chose it: docs/policies.md).
func cvVariantConfig(variant string) EdgeServeConfig {
	c := DefaultEdgeServeConfig()
	switch variant {
	case "long":
		c.HalfLives = []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}
	case "wide":
		c.AdmitRatios = []float64{0.25, 0.5, 1, 2, 4}
	case "noknap":
		c.Knapsack = false
	}
	return c
}

// FixedEdgeServeConfig is the configuration tuned on the first 720
// minutes of the Azure Functions sample, with constant settings (the
// registry's "edgeserve-fixed"; docs/policies.md).
func FixedEdgeServeConfig() EdgeServeConfig {
	return EdgeServeConfig{
		HalfLife: 10 * time.Second, Admission: true, AdmitRatio: 1, SizeExponent: 1,
		Periodic: true, MinPeriod: time.Minute, MaxJitter: 0.5,
		LongHalfLife: 10 * time.Minute, LongAfter: 8 * time.Minute, ShortBelow: 3 * time.Minute,
		Preload: true, PreloadCandidates: 4, PreloadMinRequests: 0.5,
	}
}

func (c EdgeServeConfig) validate() error {
	if c.HalfLife <= 0 || !(c.AdmitRatio > 0) || c.PreloadCandidates < 0 || c.PreloadMinRequests < 0 {
		return fmt.Errorf("policy: edgeserve needs a positive half-life (%v) and admit ratio (%v) and non-negative preload settings: %w",
			c.HalfLife, c.AdmitRatio, ErrBadConfig)
	}
	for _, h := range c.HalfLives {
		if h <= 0 {
			return fmt.Errorf("policy: edgeserve half-lives %v must be positive: %w", c.HalfLives, ErrBadConfig)
		}
	}
	for _, r := range c.AdmitRatios {
		if !(r > 0) {
			return fmt.Errorf("policy: edgeserve admit ratios %v must be positive: %w", c.AdmitRatios, ErrBadConfig)
		}
	}
	if c.Knapsack && c.KnapsackEvery <= 0 {
		return fmt.Errorf("policy: edgeserve knapsack needs a positive interval (%v): %w", c.KnapsackEvery, ErrBadConfig)
	}
	if (len(c.HalfLives) > 1 || len(c.AdmitRatios) > 1) && (c.ScoreHalfLife <= 0 || c.ChooseEvery <= 0) {
		return fmt.Errorf("policy: edgeserve adaptive half-life needs a positive score half-life (%v) and choice interval (%v): %w",
			c.ScoreHalfLife, c.ChooseEvery, ErrBadConfig)
	}
	if c.LongHalfLife < 0 || (c.LongHalfLife > 0 && (c.ShortBelow <= 0 || c.LongAfter < c.ShortBelow)) {
		return fmt.Errorf("policy: edgeserve long half-life %v needs 0 < ShortBelow (%v) <= LongAfter (%v): %w",
			c.LongHalfLife, c.ShortBelow, c.LongAfter, ErrBadConfig)
	}
	if !(c.SizeExponent >= 0) || (c.Periodic && (c.MinPeriod <= 0 || !(c.MaxJitter >= 0))) {
		return fmt.Errorf("policy: edgeserve size exponent %v, minimum period %v and jitter %v out of range: %w",
			c.SizeExponent, c.MinPeriod, c.MaxJitter, ErrBadConfig)
	}
	return nil
}

// NewEdgeServe returns the policy over models.
func NewEdgeServe(cfg EdgeServeConfig, models []Entry) (*EdgeServe, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t, err := newTable(models)
	if err != nil {
		return nil, err
	}
	n := len(models)
	p := &EdgeServe{
		cfg: cfg, t: t, logCnt: make([]float64, n), logLong: make([]float64, n), last: make([]int64, n), hl: cfg.HalfLife,
		memory:  newMemory(cfg.LongAfter, cfg.ShortBelow),
		peerRTT: make([]time.Duration, n), subCost: make([]time.Duration, n), logHint: make([]float64, n),
		resident: newKeyHeap(n), cold: newKeyHeap(n), cur: -1, preloadFree: -1,
		periods: newPeriods(n, cfg.MinPeriod, cfg.MaxJitter),
	}
	for i := range p.logCnt {
		p.logCnt[i], p.logLong[i] = math.Inf(-1), math.Inf(-1)
		p.subCost[i] = NoSubstitute
	}
	if len(cfg.HalfLives) > 1 || len(cfg.AdmitRatios) > 1 {
		p.sampled, p.sampledShare = sampleModels(t)
	}
	if len(cfg.HalfLives) > 1 {
		p.ladder = newLadder(cfg.HalfLives, n, cfg.ScoreHalfLife, cfg.ChooseEvery)
		p.hl = cfg.HalfLives[p.ladder.active]
	}
	if len(cfg.AdmitRatios) > 1 {
		p.shadows = newShadows(cfg.AdmitRatios, n, cfg.ScoreHalfLife, cfg.ChooseEvery)
	}
	return p, nil
}

// Name implements Policy: edgeserve, or the registered name it was built
// under (edgeserve-fixed, a cross-validation variant).
func (p *EdgeServe) Name() string {
	if p.name != "" {
		return p.name
	}
	return "edgeserve"
}

// OnAccess counts the request.
func (p *EdgeServe) OnAccess(e Entry, now time.Duration, _ bool) {
	k := e.Key
	p.cur = k
	if !math.IsInf(p.logCnt[k], -1) {
		p.periods.observe(k, now-time.Duration(p.last[k]))
	}
	if p.ladder.on() && p.sampled[k] {
		// The ladder counts k under the half-life in use too.
		p.ladder.observe(k, time.Duration(p.last[k]), now, p.t.cost[k].Seconds())
		p.logCnt[k] = p.ladder.logCount(p.ladder.active, k, now)
	} else {
		p.logCnt[k] = logAddExp(p.logCnt[k], logWeightAt(now, p.hl))
	}
	if p.ladder.on() {
		if i, changed := p.ladder.choose(now); changed {
			p.switchHalfLife(i, now)
		}
	}
	if p.cfg.LongHalfLife > 0 {
		p.logLong[k] = logAddExp(p.logLong[k], logWeightAt(now, p.cfg.LongHalfLife))
	}
	p.last[k] = int64(now)
	u := p.refresh(k, now)
	if p.knap != nil {
		p.knap.update(p, now, p.shadows.capBytes)
	}
	if p.shadows.on() {
		if p.sampled[k] {
			p.shadows.access(p, k, now, u)
		}
		p.shadows.choose(now)
	}
}

// switchHalfLife makes the ladder's i-th half-life the one in use: the
// sampled models take the ladder's counts, the others keep their rate
// estimates, converted to the new half-life (a count is rate x
// half-life / ln 2); then every model is re-ranked. O(n log n), at most
// once per choice interval.
func (p *EdgeServe) switchHalfLife(i int, now time.Duration) {
	h := p.ladder.halfLives[i]
	shift := logWeightAt(now, h) - logWeightAt(now, p.hl) + math.Log(h.Seconds()/p.hl.Seconds())
	for k := range p.logCnt {
		if p.sampled[k] {
			p.logCnt[k] = p.ladder.logCount(i, Key(k), time.Duration(p.last[k]))
		} else {
			p.logCnt[k] += shift
		}
	}
	p.hl = h
	p.rerank(now)
}

// admitRatio is the admission ratio in use.
func (p *EdgeServe) admitRatio() float64 {
	if p.shadows.on() {
		return p.shadows.ratio()
	}
	return p.cfg.AdmitRatio
}

// OnInsert makes e a candidate for eviction.
func (p *EdgeServe) OnInsert(e Entry, now time.Duration) {
	p.t.learn(e)
	p.used += p.t.size[e.Key]
	p.cold.remove(e.Key)
	p.resident.set(e.Key, p.utility(e.Key, now), p.last[e.Key])
}

// OnRemove makes k a candidate for preloading.
func (p *EdgeServe) OnRemove(k Key) {
	u := p.resident.prio[k]
	if p.resident.contains(k) {
		p.used -= p.t.size[k]
	}
	p.resident.remove(k)
	if !math.IsInf(p.logCnt[k], -1) {
		p.setCold(k, -u)
	}
}

// setCold files k among the preload candidates.
func (p *EdgeServe) setCold(k Key, negUtility float64) {
	p.cold.set(k, negUtility, -p.last[k])
	if p.cold.keys[0] == k {
		p.coldChanged = true
	}
}

// Victims evicts the lowest utility first. With admission control it names
// none when the requested model (that of the latest OnAccess) would save
// less than the victims do; the caller then serves it without caching it.
func (p *EdgeServe) Victims(need int64, now time.Duration, evictable func(Key) bool) []Key {
	if p.cfg.Periodic {
		p.protectDue(now)
	}
	if p.shadows.on() {
		p.shadows.learnCapacity(p, p.used, p.t.size[max(p.cur, 0)], need)
	}
	if p.cfg.Admission && p.cur >= 0 && !p.resident.contains(p.cur) && p.shadows.knapsackChosen() {
		// As the knapsack's shadow does: models outside the set are
		// declined, and evicted first.
		if !p.knap.in[p.cur] {
			return nil
		}
		out := p.resident.victims(need, p.t.size, p.knap.restrict(evictable))
		if sumSizes(out, p.t.size) >= need {
			p.observeVictims(out, now)
			return out
		}
	}
	out := p.resident.victims(need, p.t.size, evictable)
	if !p.cfg.Admission || p.memory.long || p.cur < 0 || p.resident.contains(p.cur) {
		p.observeVictims(out, now)
		return out
	}
	var lost float64
	for _, k := range out {
		lost += p.expected(k, now)
	}
	if p.admitRatio()*p.expected(p.cur, now) < lost {
		return nil
	}
	p.observeVictims(out, now)
	return out
}

// observeVictims feeds the victims' idle times to the memory choice and
// re-ranks every model when it switches (rarely: O(n log n)).
func (p *EdgeServe) observeVictims(out []Key, now time.Duration) {
	if p.cfg.LongHalfLife <= 0 {
		return
	}
	switched := false
	for _, k := range out {
		if p.memory.evicted(now - time.Duration(p.last[k])) {
			switched = true
		}
	}
	if switched {
		p.rerank(now)
	}
}

// rerank recomputes every model's utility (O(n log n)), after the memory
// in use changed.
func (p *EdgeServe) rerank(now time.Duration) {
	for _, h := range []*keyHeap{p.resident, p.cold} {
		for _, k := range append([]Key(nil), h.keys...) {
			p.refresh(k, now)
		}
	}
	if p.shadows.on() {
		p.shadows.rekey(p, now)
	}
}

// SetInstantLoads says whether loads complete at once (the classic
// accounting the simulator can replay) rather than taking their load time.
// Called before the first request, it also turns the knapsack's shadow on
// (Knapsack) only with instant loads: where loads take time, changing the
// set every interval costs loads and waits, and it measured worse
// (docs/policies.md).
func (p *EdgeServe) SetInstantLoads(instant bool) {
	p.instant = instant
	n := len(p.last)
	if !instant || !p.cfg.Knapsack || p.knap != nil || !p.shadows.on() || p.sampledShare != 1 || n > sampleTarget {
		return
	}
	p.knap = newKnapsack(n, p.cfg.KnapsackEvery)
	p.shadows.addKnapsack(p.knap, n)
}

// halfLife is the half-life of the memory in use.
func (p *EdgeServe) halfLife() time.Duration {
	if p.memory.long {
		return p.cfg.LongHalfLife
	}
	return p.hl
}

// logWeight is the log of the weight a request at now adds to a count.
func (p *EdgeServe) logWeight(now time.Duration) float64 { return logWeightAt(now, p.halfLife()) }

func logWeightAt(now, halfLife time.Duration) float64 {
	return math.Ln2 * float64(now) / float64(halfLife)
}

// count is k's decayed request count at now.
func (p *EdgeServe) count(k Key, now time.Duration) float64 {
	if p.memory.long {
		return math.Exp(p.logLong[k] - p.logWeight(now))
	}
	return math.Exp(p.logCnt[k] - p.logWeight(now))
}

// rate is k's estimated request rate at now, in requests per second.
func (p *EdgeServe) rate(k Key, now time.Duration) float64 {
	return p.count(k, now) * math.Ln2 / p.halfLife().Seconds()
}

// missCost is the expected delay one miss on k causes, in seconds: the
// load, or, if cheaper, forwarding to a peer's copy or serving with a
// loaded equivalent (SetSubstitute); plus, with DelayedHits, half a load
// for each request expected during it.
func (p *EdgeServe) missCost(k Key, now time.Duration) float64 {
	l := p.t.cost[k].Seconds()
	if rtt := p.peerRTT[k]; rtt > 0 {
		l = min(l, rtt.Seconds())
	}
	if s := p.subCost[k]; s >= 0 {
		l = min(l, s.Seconds())
	}
	if p.cfg.DelayedHits {
		l *= 1 + p.rate(k, now)*l/2
	}
	return l
}

// savings is the load delay per second that keeping k resident saves,
// weighted by k's placement hint.
func (p *EdgeServe) savings(k Key, now time.Duration) float64 {
	return p.rate(k, now) * p.missCost(k, now) * math.Exp(p.logHint[k])
}

// utility is k's savings per byte in the log domain, shifted by the decay
// at now so that it only changes when k is requested: every model's count
// decays by the same factor, so the order of utilities is stable in time
// (exactly so without DelayedHits, whose term is fixed at the request).
func (p *EdgeServe) utility(k Key, now time.Duration) float64 {
	return math.Log(p.savings(k, now)) - p.cfg.SizeExponent*p.t.logSize(k) + p.logWeight(now)
}

// refresh recomputes k's utility in whichever heap holds it and returns
// it.
func (p *EdgeServe) refresh(k Key, now time.Duration) float64 {
	u := p.utility(k, now)
	if p.resident.contains(k) {
		p.resident.set(k, u, p.last[k])
		return u
	}
	p.setCold(k, -u)
	return u
}

// expected is k's savings rate at now, counting a due periodic request.
func (p *EdgeServe) expected(k Key, now time.Duration) float64 {
	s := p.savings(k, now)
	if !p.cfg.Periodic {
		return s
	}
	left, ok := p.periods.until(k, time.Duration(p.last[k]), now)
	if !ok {
		return s
	}
	return max(s, p.missCost(k, now)*math.Exp(p.logHint[k])/max(left, p.cfg.MinPeriod.Seconds()))
}

// protectDue re-ranks the least useful residents that are periodic and
// due, so that the next victims are chosen with their due requests
// counted. It examines at most protectScan residents: O(log n) each.
func (p *EdgeServe) protectDue(now time.Duration) {
	var seen [protectScan]Key
	n := 0
	for n < protectScan && p.resident.Len() > 0 {
		k := p.resident.keys[0]
		u := math.Log(p.expected(k, now)) - p.cfg.SizeExponent*p.t.logSize(k) + p.logWeight(now)
		if u <= p.resident.prio[k] {
			break
		}
		p.resident.remove(k)
		seen[n] = k
		n++
		p.resident.prio[k] = u
	}
	for _, k := range seen[:n] {
		p.resident.set(k, p.resident.prio[k], p.last[k])
	}
}

// protectScan bounds how many residents one eviction re-ranks.
const protectScan = 32
