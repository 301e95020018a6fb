// Package profile reads model profiles (memory size, load time, run time)
// from the sources the simulator uses: EdgeServe's own runtime benchmark,
// the poster's Table I, and the CremeBrulee m5.large measurements.
package profile

import "time"

// Model is the measured cost profile of one model.
type Model struct {
	Name string
	// SizeBytes is the memory the loaded model takes.
	SizeBytes int64
	// LoadTime is the cost of a miss beyond the run itself.
	LoadTime time.Duration
	// RunTime is one warm inference.
	RunTime time.Duration
}
