package trace

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func quiet() SyntheticConfig {
	c := DefaultSyntheticConfig()
	c.DiurnalAmplitude, c.DriftInterval, c.BurstsPerHour = 0, 0, 0
	return c
}

func countBy(tr *Trace, from, to time.Duration) []int {
	n := make([]int, len(tr.Models))
	for _, r := range tr.Requests {
		if r.Time >= from && r.Time < to {
			n[r.Model]++
		}
	}
	return n
}

func TestGenerateIsDeterministicAndOrdered(t *testing.T) {
	a, err := Generate(DefaultSyntheticConfig())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(DefaultSyntheticConfig())
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same config gave different traces")
	}
	for i, r := range a.Requests {
		if r.Time < 0 || r.Time >= time.Hour || (i > 0 && r.Time < a.Requests[i-1].Time) {
			t.Fatalf("request %d at %v out of order or range", i, r.Time)
		}
	}
	// 50/s times 1+0.5*mean(sin) over the first 24th of a day (0.130)
	// for an hour, plus about two bursts of 1200: 194118, within 5%.
	if n := len(a.Requests); n < 184400 || n > 203800 {
		t.Fatalf("%d requests, want about 194118", n)
	}
}

func TestGenerateZipfSkew(t *testing.T) {
	c := quiet()
	c.ZipfExponent = 1
	tr, _ := Generate(c)
	counts := countBy(tr, 0, time.Hour)
	top, total := 0, 0
	for _, n := range counts {
		top, total = max(top, n), total+n
	}
	// With s=1 over 100 models the top rank's share is 1/H(100) = 0.193.
	if share := float64(top) / float64(total); share < 0.18 || share > 0.21 {
		t.Fatalf("top model share %.3f, want about 0.193", share)
	}
	c.ZipfExponent = 0
	tr, _ = Generate(c)
	for m, n := range countBy(tr, 0, time.Hour) {
		if n < 1500 || n > 2100 { // uniform: 1800 each
			t.Fatalf("uniform popularity: model %d has %d requests, want about 1800", m, n)
		}
	}
}

func TestGenerateDiurnal(t *testing.T) {
	c := quiet()
	c.DiurnalAmplitude, c.DiurnalPeriod = 0.8, time.Hour
	tr, _ := Generate(c)
	first, second := sum(countBy(tr, 0, 30*time.Minute)), sum(countBy(tr, 30*time.Minute, time.Hour))
	// Mean rate 50*(1+-0.8*2/pi) in each half: ratio about 3.1.
	if ratio := float64(first) / float64(second); ratio < 2.7 || ratio > 3.5 {
		t.Fatalf("first/second half %d/%d = %.2f, want about 3.1", first, second, ratio)
	}
}

func TestGenerateBursts(t *testing.T) {
	c := quiet()
	c.RatePerSecond, c.BurstsPerHour, c.BurstRatePerSecond = 1, 4, 100
	with, _ := Generate(c)
	c.BurstsPerHour = 0
	without, _ := Generate(c)
	if extra := len(with.Requests) - len(without.Requests); extra < 10000 {
		t.Fatalf("bursts added %d requests, want about 24000", extra)
	}
}

func TestGenerateDrift(t *testing.T) {
	c := quiet()
	c.ZipfExponent, c.DriftInterval, c.DriftFraction = 1.2, 10*time.Minute, 1
	tr, _ := Generate(c)
	if argmax(countBy(tr, 0, 10*time.Minute)) == argmax(countBy(tr, 50*time.Minute, time.Hour)) &&
		argmax(countBy(tr, 10*time.Minute, 20*time.Minute)) == argmax(countBy(tr, 40*time.Minute, 50*time.Minute)) {
		t.Fatal("the most popular model never changed under full drift")
	}
}

func TestGenerateRejectsBadConfig(t *testing.T) {
	mods := map[string]func(*SyntheticConfig){
		"no models":     func(c *SyntheticConfig) { c.Models = 0 },
		"no duration":   func(c *SyntheticConfig) { c.Duration = 0 },
		"amplitude 1":   func(c *SyntheticConfig) { c.DiurnalAmplitude = 1 },
		"negative zipf": func(c *SyntheticConfig) { c.ZipfExponent = -1 },
		"too many":      func(c *SyntheticConfig) { c.MaxRequests = 10 },
	}
	for name, mod := range mods {
		t.Run(name, func(t *testing.T) {
			c := DefaultSyntheticConfig()
			mod(&c)
			if _, err := Generate(c); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

func argmax(xs []int) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}
