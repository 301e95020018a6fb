package trace

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// SyntheticConfig describes a generated workload. Requests arrive as a
// Poisson process whose rate follows a sinusoidal day; each request picks a
// model by Zipf popularity over ranks; every DriftInterval a fraction of
// the rank-to-model assignment is reshuffled (popularity drift); and
// bursts, arriving as a Poisson process, each send extra requests to one
// model chosen uniformly (so bursts often hit cold models).
type SyntheticConfig struct {
	// Seed seeds every random choice (PCG).
	Seed uint64
	// Models is the number of distinct models; ModelNames, when set, names
	// them (its length then overrides Models). Default names are m0000...
	Models     int
	ModelNames []string
	// Duration is the trace length.
	Duration time.Duration
	// RatePerSecond is the mean request rate outside bursts.
	RatePerSecond float64
	// ZipfExponent is the popularity skew s (0 is uniform).
	ZipfExponent float64
	// DiurnalAmplitude in [0,1) scales the rate by 1+A*sin(2*pi*t/DiurnalPeriod).
	DiurnalAmplitude float64
	DiurnalPeriod    time.Duration
	// DriftInterval is how often popularity drifts (0: never); each time,
	// DriftFraction of the ranks swap places with random other ranks.
	DriftInterval time.Duration
	DriftFraction float64
	// BurstsPerHour is the mean number of bursts per hour (0: none); each
	// lasts BurstDuration at BurstRatePerSecond.
	BurstsPerHour      float64
	BurstDuration      time.Duration
	BurstRatePerSecond float64
	// MaxRequests bounds the expected number of requests.
	MaxRequests int
}

// DefaultSyntheticConfig is one hour over 100 models at 50 requests/s on
// average, Zipf 0.9, a day-long diurnal swing of +-50%, 10% drift every
// 10 minutes, and two one-minute bursts of 20 requests/s per hour.
func DefaultSyntheticConfig() SyntheticConfig {
	return SyntheticConfig{
		Seed: 1, Models: 100, Duration: time.Hour, RatePerSecond: 50,
		ZipfExponent: 0.9, DiurnalAmplitude: 0.5, DiurnalPeriod: 24 * time.Hour,
		DriftInterval: 10 * time.Minute, DriftFraction: 0.1,
		BurstsPerHour: 2, BurstDuration: time.Minute, BurstRatePerSecond: 20,
		MaxRequests: 50_000_000,
	}
}

// ErrInvalidConfig is returned (wrapped) for an unusable SyntheticConfig.
var ErrInvalidConfig = errors.New("trace: invalid synthetic config")

func (c *SyntheticConfig) validate() error {
	if len(c.ModelNames) > 0 {
		c.Models = len(c.ModelNames)
	}
	expected := c.RatePerSecond*(1+c.DiurnalAmplitude)*c.Duration.Seconds() +
		c.BurstsPerHour*c.Duration.Hours()*c.BurstRatePerSecond*c.BurstDuration.Seconds()
	switch {
	case c.Models <= 0 || c.Models > math.MaxInt32:
		return fmt.Errorf("%w: Models must be positive", ErrInvalidConfig)
	case c.Duration <= 0 || c.RatePerSecond <= 0 || math.IsInf(c.RatePerSecond, 0):
		return fmt.Errorf("%w: Duration and RatePerSecond must be positive", ErrInvalidConfig)
	case !(c.ZipfExponent >= 0) || !(c.DiurnalAmplitude >= 0 && c.DiurnalAmplitude < 1):
		return fmt.Errorf("%w: ZipfExponent must be >= 0 and DiurnalAmplitude in [0,1)", ErrInvalidConfig)
	case c.DiurnalAmplitude > 0 && c.DiurnalPeriod <= 0:
		return fmt.Errorf("%w: DiurnalPeriod must be positive", ErrInvalidConfig)
	case c.DriftInterval < 0 || !(c.DriftFraction >= 0 && c.DriftFraction <= 1):
		return fmt.Errorf("%w: DriftInterval must be >= 0 and DriftFraction in [0,1]", ErrInvalidConfig)
	case !(c.BurstsPerHour >= 0) || c.BurstDuration < 0 || !(c.BurstRatePerSecond >= 0):
		return fmt.Errorf("%w: burst settings must not be negative", ErrInvalidConfig)
	case !(expected <= float64(c.MaxRequests)):
		return fmt.Errorf("%w: about %.0f requests expected, more than MaxRequests %d", ErrInvalidConfig, expected, c.MaxRequests)
	}
	return nil
}

// Generate builds a synthetic trace; the same config always gives the same
// trace.
func Generate(cfg SyntheticConfig) (*Trace, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5f7e71c))
	t := &Trace{Models: cfg.ModelNames}
	if len(t.Models) == 0 {
		t.Models = make([]string, cfg.Models)
		for i := range t.Models {
			t.Models[i] = fmt.Sprintf("m%04d", i)
		}
	}
	t.Requests = baseRequests(&cfg, rng)
	t.Requests = append(t.Requests, burstRequests(&cfg, rng)...)
	slices.SortStableFunc(t.Requests, byTimeThenModel)
	return t, nil
}

// baseRequests draws the diurnal Poisson process by thinning a process at
// the peak rate, and the model of each request by drifting Zipf ranks.
func baseRequests(cfg *SyntheticConfig, rng *rand.Rand) []Request {
	peak := cfg.RatePerSecond * (1 + cfg.DiurnalAmplitude)
	z := newZipf(cfg.Models, cfg.ZipfExponent)
	byRank := rng.Perm(cfg.Models)
	nextDrift := cfg.DriftInterval
	var out []Request
	for at := expGap(rng, peak); at < cfg.Duration; at += expGap(rng, peak) {
		for cfg.DriftInterval > 0 && at >= nextDrift {
			drift(byRank, cfg.DriftFraction, rng)
			nextDrift += cfg.DriftInterval
		}
		if rng.Float64()*peak > cfg.rate(at) {
			continue
		}
		out = append(out, Request{Time: at, Model: int32(byRank[z.rank(rng)])})
	}
	return out
}

func (c *SyntheticConfig) rate(at time.Duration) float64 {
	if c.DiurnalAmplitude == 0 {
		return c.RatePerSecond
	}
	phase := 2 * math.Pi * at.Seconds() / c.DiurnalPeriod.Seconds()
	return c.RatePerSecond * (1 + c.DiurnalAmplitude*math.Sin(phase))
}

// drift swaps a fraction of ranks with random other ranks.
func drift(byRank []int, fraction float64, rng *rand.Rand) {
	for range int(fraction * float64(len(byRank))) {
		i, j := rng.IntN(len(byRank)), rng.IntN(len(byRank))
		byRank[i], byRank[j] = byRank[j], byRank[i]
	}
}

func burstRequests(cfg *SyntheticConfig, rng *rand.Rand) []Request {
	if cfg.BurstsPerHour == 0 || cfg.BurstRatePerSecond == 0 || cfg.BurstDuration == 0 {
		return nil
	}
	var out []Request
	for start := expGap(rng, cfg.BurstsPerHour/3600); start < cfg.Duration; start += expGap(rng, cfg.BurstsPerHour/3600) {
		m := int32(rng.IntN(cfg.Models))
		end := min(start+cfg.BurstDuration, cfg.Duration)
		for at := start + expGap(rng, cfg.BurstRatePerSecond); at < end; at += expGap(rng, cfg.BurstRatePerSecond) {
			out = append(out, Request{Time: at, Model: m})
		}
	}
	return out
}

// expGap draws an exponential inter-arrival time for a rate in 1/s.
func expGap(rng *rand.Rand, perSecond float64) time.Duration {
	return time.Duration(rng.ExpFloat64() / perSecond * float64(time.Second))
}
