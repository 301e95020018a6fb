package node

import (
	"sort"
	"strings"
	"sync"
	"time"

	pb "github.com/edgeserve/edgeserve/proto/inference"
)

// stats keeps the cumulative per-model-version counters of the protocol's
// statistics extension (ModelStatistics).
type stats struct {
	mu     sync.Mutex // guards models
	models map[string]*modelStats
}

type duration struct{ count, ns uint64 }

func (d *duration) add(t time.Duration) { d.count++; d.ns += uint64(t) }

func (d duration) pb() *pb.StatisticDuration { return &pb.StatisticDuration{Count: d.count, Ns: d.ns} }

type modelStats struct {
	success, fail, queue, compute, hit, miss duration
	last                                     time.Time
	// arrived counts the requests that ended here and were not forwarded
	// here by a peer (the node they first reached counts them): the
	// demand the node gossips. It only grows.
	arrived uint64
}

func newStats() *stats { return &stats{models: map[string]*modelStats{}} }

// get returns key's counters; the caller holds s.mu.
func (s *stats) get(key string) *modelStats {
	m := s.models[key]
	if m == nil {
		m = &modelStats{}
		s.models[key] = m
	}
	return m
}

func (s *stats) computed(key string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.get(key).compute.add(d)
}

func (s *stats) acquired(key string, hit bool, queued time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.get(key)
	m.queue.add(queued)
	if hit {
		m.hit.add(queued)
	} else {
		m.miss.add(queued)
	}
}

// done counts a request's outcome; forwarded: a peer forwarded it here.
func (s *stats) done(key string, d time.Duration, forwarded bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.get(key)
	m.last = time.Now()
	if err != nil {
		m.fail.add(d)
	} else {
		m.success.add(d)
	}
	if !forwarded {
		m.arrived++
	}
}

// snapshot returns the statistics of the keys ("name:version") that match
// name and version ("" matches any), sorted by key.
func (s *stats) snapshot(name, version string) []*pb.ModelStatistics {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*pb.ModelStatistics
	for key, m := range s.models {
		n, v, _ := strings.Cut(key, ":")
		if (name != "" && n != name) || (version != "" && v != version) {
			continue
		}
		out = append(out, m.pb(n, v))
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name+":"+out[i].Version < out[j].Name+":"+out[j].Version
	})
	return out
}

func (m *modelStats) pb(name, version string) *pb.ModelStatistics {
	var last uint64
	if !m.last.IsZero() {
		last = uint64(m.last.UnixMilli())
	}
	return &pb.ModelStatistics{
		Name: name, Version: version, LastInference: last,
		InferenceCount: m.success.count, ExecutionCount: m.compute.count,
		InferenceStats: &pb.InferStatistics{
			Success: m.success.pb(), Fail: m.fail.pb(), Queue: m.queue.pb(),
			ComputeInput: duration{}.pb(), ComputeInfer: m.compute.pb(), ComputeOutput: duration{}.pb(),
			CacheHit: m.hit.pb(), CacheMiss: m.miss.pb(),
		},
	}
}

// requests returns each key's count of finished requests that reached
// this node from a client (those a peer forwarded here are left out): the
// demand the node gossips.
func (s *stats) requests() map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]uint64, len(s.models))
	for k, m := range s.models {
		out[k] = m.arrived
	}
	return out
}

// runTime is key's mean run time so far; 0 before its first run.
func (s *stats) runTime(key string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.models[key]
	if m == nil || m.compute.count == 0 {
		return 0
	}
	return time.Duration(m.compute.ns / m.compute.count)
}
