package replay

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// Request is one request of a replay.
type Request struct {
	// At is when the request is due, from the replay's start, at speed 1.
	At time.Duration
	// Model is the name of a model the cluster serves.
	Model string
	// Site is the site of the client that sends it ("" when the trace has
	// none).
	Site string
}

// Window keeps the requests of t in [start, start+length) (length 0: to
// the end), at most max of them (0: all), with times shifted so that start
// is time 0. Models and sites keep their numbers.
func Window(t *trace.Trace, start, length time.Duration, max int) (*trace.Trace, error) {
	if start < 0 || length < 0 || max < 0 {
		return nil, errors.New("replay: window start, length and count must not be negative")
	}
	end := time.Duration(math.MaxInt64)
	if length > 0 && start <= end-length {
		end = start + length
	}
	out := &trace.Trace{Models: t.Models, Sites: t.Sites}
	for _, r := range t.Requests {
		if r.Time < start || r.Time >= end {
			continue
		}
		if max > 0 && len(out.Requests) == max {
			break
		}
		r.Time -= start
		out.Requests = append(out.Requests, r)
	}
	return out, nil
}

// Plan names the models and sites of a workload mapped from a trace whose
// sites are sites (the trace's Sites; empty when it has none).
func Plan(w *sim.Workload, sites []string) ([]Request, error) {
	out := make([]Request, len(w.Requests))
	for i, r := range w.Requests {
		if r.Model < 0 || int(r.Model) >= len(w.Models) {
			return nil, fmt.Errorf("replay: request %d names model %d of %d", i, r.Model, len(w.Models))
		}
		out[i] = Request{At: r.Time, Model: w.Models[r.Model].Name}
		switch {
		case len(sites) == 0 && r.Site == 0:
		case r.Site < 0 || int(r.Site) >= len(sites):
			return nil, fmt.Errorf("replay: request %d names site %d of %d", i, r.Site, len(sites))
		default:
			out[i].Site = sites[r.Site]
		}
	}
	return out, nil
}

// Models are the distinct models of reqs, in order of first appearance.
func Models(reqs []Request) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range reqs {
		if !seen[r.Model] {
			seen[r.Model] = true
			out = append(out, r.Model)
		}
	}
	return out
}
