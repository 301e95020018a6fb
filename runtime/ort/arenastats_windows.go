package ort

import "errors"

// arenaStats are the shared arena's figures, in bytes.
type arenaStats struct{ total, inUse, allocs int64 }

// startArenaProbe does nothing on Windows, where the binding makes the
// environment (logsink_windows.go) and the arena is not read.
func startArenaProbe() error { return nil }

// sharedArenaStats is not available on Windows.
func sharedArenaStats() (arenaStats, error) {
	return arenaStats{}, errors.New("ort: shared arena statistics are not read on Windows")
}
