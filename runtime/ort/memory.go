package ort

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// residentBytes is the process's resident set size from /proc/self/statm.
// It counts every thread's allocations and the file pages mapped in, so a
// model's memory measured as the difference across its load is only exact
// when nothing else loads, runs or frees at the same time. The Loader never
// measures two loads at once (Loader.measureMu); concurrent inference and
// the Go heap's own growth can still move it, and a negative difference is
// reported as 0.
func residentBytes() (int64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, fmt.Errorf("ort: read statm: %w", err)
	}
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		return 0, fmt.Errorf("ort: malformed statm %q", b)
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("ort: malformed statm %q: %w", b, err)
	}
	return pages * int64(os.Getpagesize()), nil
}
