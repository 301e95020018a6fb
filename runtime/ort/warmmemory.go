package ort

// A load without a warm-up run (runtime.Source.SkipWarmUp) would measure
// only what creating the session took: the memory the first run adds
// (ONNX Runtime's arena, the mapped weights it touches) comes after the
// load, when the cache has already charged the model. So the Loader skips
// the warm-up only for a model file whose memory it has measured across a
// warmed load before, and reports that figure, both tiers, for the loads
// that skip it, without reading the process's memory again: those loads
// are requests' misses, and two readings of /proc/self/status are time a
// waiting request would pay for a figure no better than the warmed one
// (the reading of a load without warm-up misses the first run's growth).
// The first load of a file in a Loader always warms up.

// knowsWarmMemoryLocked reports whether a warmed load of path was measured.
// The caller holds measureMu.
func (l *Loader) knowsWarmMemoryLocked(path string) bool {
	_, ok := l.warmMemory[path]
	return ok
}

// recordWarmMemoryLocked records grown as path's memory, measured across
// a load with its warm-up run. The caller holds measureMu.
func (l *Loader) recordWarmMemoryLocked(path string, grown residentSet) {
	if l.warmMemory == nil {
		l.warmMemory = make(map[string]residentSet)
	}
	l.warmMemory[path] = grown
}
