package ort

// A load without a warm-up run (runtime.Source.SkipWarmUp) measures only
// what creating the session took: the memory the first run adds (ONNX
// Runtime's arena, the mapped weights it touches) comes after the load,
// when the cache has already charged the model. So the Loader skips the
// warm-up only for a model file whose memory it has measured across a
// warmed load before, and reports that figure (or the new load's growth if
// larger) for the loads that skip it. The first load of a file in a Loader
// always warms up.

// knowsWarmMemoryLocked reports whether a warmed load of path was measured.
// The caller holds measureMu.
func (l *Loader) knowsWarmMemoryLocked(path string) bool {
	_, ok := l.warmMemory[path]
	return ok
}

// warmMemoryLocked records measured as path's memory when the load warmed
// up, and returns what to report: measured, or for a load without warm-up
// at least the last warmed figure. The caller holds measureMu.
func (l *Loader) warmMemoryLocked(path string, warmed bool, measured int64) int64 {
	if warmed {
		if l.warmMemory == nil {
			l.warmMemory = make(map[string]int64)
		}
		l.warmMemory[path] = measured
		return measured
	}
	return max(measured, l.warmMemory[path])
}
