package ort

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/zoo"
)

// zooMemoryEnv gates TestZooMemoryTiers, which writes and loads every zoo
// classifier (about 2 GB of files).
const zooMemoryEnv = "EDGESERVE_ZOO_MEMORY"

// TestZooMemoryTiers loads each zoo classifier's fast form alone, one
// after another, and reports its two tiers: the anonymous memory the cache
// charges and the mapped weights; their sum is what the cache charged
// before (the process's resident growth). It reports how many of the
// models, smallest first, a 2 GiB budget holds under each charge
// (docs/memory.md).
func TestZooMemoryTiers(t *testing.T) {
	if os.Getenv(zooMemoryEnv) == "" {
		t.Skipf("set %s=1 to load every zoo classifier", zooMemoryEnv)
	}
	all, err := zoo.Names(zoo.SetFull)
	if err != nil {
		t.Fatal(err)
	}
	tests, err := zoo.Names(zoo.SetTest)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range all {
		if !slices.Contains(tests, n) {
			names = append(names, n)
		}
	}
	l := newTestLoader(t, true)
	var anon, rss []int64
	for _, name := range names {
		path := zooModel(t, name)
		m, err := l.Load(context.Background(), runtime.Source{Name: name, Path: path})
		if err != nil {
			t.Fatal(err)
		}
		p := m.Profile()
		m.Close()
		anon, rss = append(anon, p.AnonymousBytes), append(rss, p.AnonymousBytes+p.MappedBytes)
		t.Logf("%-20s anonymous %7.1f MB  mapped %7.1f MB", name, float64(p.AnonymousBytes)/1e6, float64(p.MappedBytes)/1e6)
	}
	const budget = 2 << 30
	t.Logf("%d zoo classifiers: charged %0.f MB as anonymous memory (%d fit in 2 GiB, smallest first), %.0f MB as resident growth (%d fit)",
		len(names), float64(sum(anon))/1e6, fitting(anon, budget), float64(sum(rss))/1e6, fitting(rss, budget))
}

func sum(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}

// fitting counts the charges, smallest first, that fit in budget.
func fitting(charges []int64, budget int64) int {
	s := slices.Clone(charges)
	slices.Sort(s)
	var used int64
	for i, c := range s {
		if used+c > budget {
			return i
		}
		used += c
	}
	return len(s)
}
