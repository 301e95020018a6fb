// Package trace reads, writes, converts and generates request traces for
// the simulator and for live replay.
package trace

import "time"

// Request is one inference request in a trace.
type Request struct {
	// Time is the offset from the start of the trace.
	Time time.Duration
	// Model indexes Trace.Models.
	Model int32
	// Site indexes Trace.Sites (0 when the trace has one site).
	Site int32
}

// Trace is a time-ordered list of requests over a set of models.
type Trace struct {
	Models   []string
	Sites    []string
	Requests []Request
}
