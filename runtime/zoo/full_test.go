package zoo

import (
	"os"
	"slices"
	"testing"
	"time"
)

// TestFullZooRuns generates, loads and runs every classifier that
// TestClassifiersRun leaves out (up to VGG-16's 553 MB) with a batch of two, logging the time of
// each step. It takes tens of seconds and a few GB of disk, so it runs only
// with EDGESERVE_ZOO_FULL=1.
func TestFullZooRuns(t *testing.T) {
	if os.Getenv("EDGESERVE_ZOO_FULL") != "1" {
		t.Skip("set EDGESERVE_ZOO_FULL=1 to generate and run the full zoo")
	}
	needORT(t)
	full, _ := Names(SetFull)
	small, _ := Names(SetSmall)
	for _, name := range full {
		if slices.Contains(small, name) || name == "nasnet_mobile" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			start := time.Now()
			m, err := Write(dir, name, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			generated := time.Since(start)
			start = time.Now()
			checkClassifier(t, dir, m, 2)
			t.Logf("%s: %d params, %.1f MB, generated in %v, loaded and run (batch 2) in %v",
				name, m.Params, float64(m.FileBytes)/1e6, generated.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		})
	}
}
