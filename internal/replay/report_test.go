package replay

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestPercentiles: nearest rank over 1..100 ms.
func TestPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, msd(i))
	}
	want := Percentiles{Count: 100, P50: 50, P95: 95, P99: 99, Max: 100}
	if got := percentiles(ds); got != want {
		t.Fatalf("percentiles = %+v, want %+v", got, want)
	}
	if got := percentiles([]time.Duration{msd(7)}); got != (Percentiles{Count: 1, P50: 7, P95: 7, P99: 7, Max: 7}) {
		t.Fatalf("one latency: %+v", got)
	}
	if got := percentiles(nil); got != (Percentiles{}) {
		t.Fatalf("none: %+v", got)
	}
}

// TestCollector: outcomes add up into the report, retries apart, each
// attempt charged to its node.
func TestCollector(t *testing.T) {
	c := newCollector([]Node{{"a", "h:1"}, {"a", "h:2"}}, 5, nil)
	c.add(outcome{tried: []int{0}, ok: true, latency: msd(10), route: "hit", servedBy: "x"})
	c.add(outcome{tried: []int{1, 0}, ok: true, latency: msd(30), route: "forward-hit", servedBy: "y", lag: msd(4)})
	c.add(outcome{tried: []int{1, 0}, code: 14, err: errString("down")})
	c.add(outcome{tried: []int{0}, cut: true})
	r := c.report(2 * time.Second)
	if r.Planned != 5 || r.Sent != 4 || r.OK != 2 || r.Failed != 1 || r.Unfinished != 1 || r.SuccessRate != 2.0/3 ||
		r.FirstTrySuccessRate != 1.0/3 || r.Retried != 2 || r.RetryAttempts != 2 || r.Recovered != 1 || r.MaxLagMs != 4 {
		t.Fatalf("report %+v", r)
	}
	if r.Routes["hit"] != 1 || r.Routes["forward-hit"] != 1 || r.ServedBy["x"] != 1 || r.Latency.P99 != 30 ||
		r.LatencyByRoute["hit"].Max != 10 || len(r.Errors) != 1 || r.Errors[0].Code != "Unavailable" || r.Errors[0].Count != 1 {
		t.Fatalf("report %+v", r)
	}
	n0, n1 := r.Nodes[0], r.Nodes[1]
	if n0.First != 2 || n0.Attempts != 4 || n0.Failed != 1 || n0.Answered != 2 || n1.First != 2 || n1.Attempts != 2 || n1.Failed != 2 {
		t.Fatalf("nodes %+v", r.Nodes)
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil || !strings.Contains(b.String(), "66.67% (2 of 3)") || !strings.Contains(b.String(), "Unavailable: 1") {
		t.Fatalf("text report: %v\n%s", err, b.String())
	}
}

type errString string

func (e errString) Error() string { return string(e) }
