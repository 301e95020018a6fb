package replay

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what a replay's clients saw. Durations are milliseconds.
type Report struct {
	// Planned requests were in the replay; Sent of them were sent (fewer
	// when the replay was stopped, see Stopped).
	Planned int `json:"planned"`
	Sent    int `json:"sent"`
	// OK were answered, Failed were not (after any retries); Unfinished
	// were in flight when the replay was stopped and count as neither.
	OK         int `json:"ok"`
	Failed     int `json:"failed"`
	Unfinished int `json:"unfinished"`
	// SuccessRate is OK / (OK + Failed), retries counted;
	// FirstTrySuccessRate counts only answers to the first attempt.
	SuccessRate         float64 `json:"success_rate"`
	FirstTrySuccessRate float64 `json:"first_try_success_rate"`
	// Retried requests were sent again, RetryAttempts times in all, to
	// other nodes; Recovered of them were answered there.
	Retried       int `json:"retried"`
	RetryAttempts int `json:"retry_attempts"`
	Recovered     int `json:"recovered"`
	// Latency of answered requests, from the first send to the answer;
	// LatencyByRoute splits it by edgeserve_route.
	Latency        Percentiles            `json:"latency_ms"`
	LatencyByRoute map[string]Percentiles `json:"latency_ms_by_route"`
	// Routes counts answered requests by edgeserve_route (hit, load,
	// forward-hit, forward-load, fallback, hedge; "none" when a reply had
	// none), ServedBy by edgeserve_served_by, the node that ran them.
	Routes   map[string]int `json:"routes"`
	ServedBy map[string]int `json:"served_by"`
	// Errors counts failed requests by the gRPC code of their last attempt.
	Errors []ErrorCount `json:"errors"`
	// Nodes are the nodes given, in order, with what each was sent.
	Nodes []NodeReport `json:"nodes"`
	// MaxLagMs is how far behind its due time the latest send went
	// (sends wait while Concurrency requests are in flight).
	MaxLagMs    float64 `json:"max_lag_ms"`
	WallSeconds float64 `json:"wall_seconds"`
	// Stopped says why the replay ended before sending every request
	// ("" when it did not).
	Stopped string `json:"stopped,omitempty"`
}

// Percentiles summarise latencies (nearest rank), in milliseconds.
type Percentiles struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// ErrorCount is how many requests failed with one gRPC code, with the
// first such error as an example.
type ErrorCount struct {
	Code    string `json:"code"`
	Count   int    `json:"count"`
	Example string `json:"example"`
}

// NodeReport is what one given node was sent and how it answered.
type NodeReport struct {
	Site string `json:"site"`
	Addr string `json:"addr"`
	// First requests went here first; Attempts counts every attempt
	// (retries from other nodes included), Failed those that failed.
	First    int `json:"first"`
	Attempts int `json:"attempts"`
	Failed   int `json:"failed"`
	// Answered attempts, by edgeserve_route and edgeserve_served_by: a
	// request forwarded from here was served by another node.
	Answered int            `json:"answered"`
	Routes   map[string]int `json:"routes"`
	ServedBy map[string]int `json:"served_by"`
}

// percentiles summarises ds, which it sorts.
func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	slices.Sort(ds)
	// rank is the nearest-rank percentile p (in percent): the
	// ceil(p*n/100)-th smallest.
	rank := func(p int) float64 { return ms(ds[(p*len(ds)+99)/100-1]) }
	return Percentiles{Count: len(ds), P50: rank(50), P95: rank(95), P99: rank(99), Max: ms(ds[len(ds)-1])}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes r for a person.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	rate := 0.0
	if r.WallSeconds > 0 {
		rate = float64(r.Sent) / r.WallSeconds
	}
	fmt.Fprintf(tw, "sent\t%d of %d requests in %.1fs (%.1f/s)\n", r.Sent, r.Planned, r.WallSeconds, rate)
	if r.Stopped != "" {
		fmt.Fprintf(tw, "stopped\t%s; %d unfinished\n", r.Stopped, r.Unfinished)
	}
	fmt.Fprintf(tw, "success\t%.2f%% (%d of %d); first try %.2f%%; retried %d (%d attempts), %d recovered\n",
		100*r.SuccessRate, r.OK, r.OK+r.Failed, 100*r.FirstTrySuccessRate, r.Retried, r.RetryAttempts, r.Recovered)
	fmt.Fprintf(tw, "latency ms\t%s\n", r.Latency)
	for _, route := range sortedKeys(r.LatencyByRoute) {
		fmt.Fprintf(tw, "  %s\t%s\n", route, r.LatencyByRoute[route])
	}
	fmt.Fprintf(tw, "routes\t%s\n", counts(r.Routes))
	fmt.Fprintf(tw, "served by\t%s\n", counts(r.ServedBy))
	for _, e := range r.Errors {
		fmt.Fprintf(tw, "error\t%s: %d (for example %s)\n", e.Code, e.Count, e.Example)
	}
	fmt.Fprintf(tw, "max lag\t%.1f ms behind the schedule\n", r.MaxLagMs)
	if err := tw.Flush(); err != nil {
		return err
	}
	return r.writeNodes(w)
}

func (r *Report) writeNodes(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nSITE\tNODE\tFIRST\tATTEMPTS\tFAILED\tANSWERED\tROUTES\tSERVED BY")
	for _, n := range r.Nodes {
		site := n.Site
		if site == "" {
			site = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", site, n.Addr, n.First, n.Attempts, n.Failed, n.Answered,
			counts(n.Routes), counts(n.ServedBy))
	}
	return tw.Flush()
}

func (p Percentiles) String() string {
	if p.Count == 0 {
		return "none answered"
	}
	return fmt.Sprintf("p50 %.1f  p95 %.1f  p99 %.1f  max %.1f  (%d)", p.P50, p.P95, p.P99, p.Max, p.Count)
}

// counts prints a count map as "a 3, b 1", largest first.
func counts(m map[string]int) string {
	keys := sortedKeys(m)
	slices.SortStableFunc(keys, func(a, b string) int { return m[b] - m[a] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
