package node

import (
	"errors"
	"math"
	"testing"
	"time"
)

// TestDemandCountsOnlyGrow: a request a peer forwarded here neither adds
// to nor, while it runs, takes from the demand this node counts; each
// client request counts once, when it ends.
func TestDemandCountsOnlyGrow(t *testing.T) {
	s := newStats()
	s.done("m:1", time.Millisecond, false, nil)
	s.done("m:1", time.Millisecond, false, nil)
	before := s.requests()["m:1"]
	s.done("m:1", time.Millisecond, true, nil) // forwarded here: its origin counts it
	if got := s.requests()["m:1"]; got != before || got != 2 {
		t.Fatalf("demand %d after a forwarded request, %d before; want 2 both", got, before)
	}
	s.done("m:1", time.Millisecond, false, errors.New("run failed"))
	if got := s.requests()["m:1"]; got != 3 {
		t.Fatalf("demand %d after a failed client request; want 3", got)
	}
}

// TestRatesIgnoreACountThatGoesDown: a count below the last one (a reset)
// adds no demand; before the fix it wrapped around to about 1.8e19.
func TestRatesIgnoreACountThatGoesDown(t *testing.T) {
	at := time.Unix(1000, 0)
	r := newRates(10*time.Second, at)
	r.update(map[string]uint64{"m:1": 10}, at)
	got := r.update(map[string]uint64{"m:1": 7}, at.Add(time.Second))
	if v := got["m:1"]; v != 0 {
		t.Fatalf("rate %v after the count went down; want 0", v)
	}
	got = r.update(map[string]uint64{"m:1": 17}, at.Add(2*time.Second)) // 10 requests in 1 s
	keep := math.Exp2(-0.1)
	if want := math.Round((1-keep)*10*1000) / 1000; math.Abs(got["m:1"]-want) > 1e-9 {
		t.Fatalf("rate %v after 10 requests in a second; want %v", got["m:1"], want)
	}
}

// TestRatesCountTheFirstInterval: requests served before the first
// publication count, as arrivals since the rates started; before the fix
// the first counts became the baseline and a model asked for once at
// start had no rate at all.
func TestRatesCountTheFirstInterval(t *testing.T) {
	at := time.Unix(1000, 0)
	r := newRates(10*time.Second, at)
	got := r.update(map[string]uint64{"m:1": 5}, at.Add(time.Second))
	keep := math.Exp2(-0.1)
	if want := math.Round((1-keep)*5*1000) / 1000; math.Abs(got["m:1"]-want) > 1e-9 {
		t.Fatalf("rate %v after 5 requests in the first second; want %v", got["m:1"], want)
	}
}

// TestBeginLoadOnlyFirst: a copy behind a forward starts only while no
// load of the model is marked here; a request's load always marks one;
// once every load ended, a copy may start again.
func TestBeginLoadOnlyFirst(t *testing.T) {
	n := &Node{cluster: &cluster{loads: map[string]int{}, kick: make(chan struct{}, 1)}}
	copyDone, ok := n.beginLoad("m:1", true)
	if !ok {
		t.Fatal("the first copy did not start")
	}
	if _, ok := n.beginLoad("m:1", true); ok {
		t.Fatal("a second copy started while the first loads")
	}
	reqDone := n.requestLoad("m:1")
	if got := n.cluster.loads["m:1"]; got != 2 {
		t.Fatalf("loads marked %d, want 2 (the copy and the request's)", got)
	}
	copyDone()
	if _, ok := n.beginLoad("m:1", true); ok {
		t.Fatal("a copy started while a request's load is marked")
	}
	reqDone()
	if _, ok := n.cluster.loads["m:1"]; ok {
		t.Fatal("the mark outlived its loads")
	}
	if _, ok := n.beginLoad("m:1", true); !ok {
		t.Fatal("no copy after every load ended")
	}
}
