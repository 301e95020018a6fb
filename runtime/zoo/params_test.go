package zoo

import (
	"math"
	"testing"
)

// TestParamsMatchPublished counts each architecture's parameters from its
// graph (no weights drawn) and compares with the published count.
func TestParamsMatchPublished(t *testing.T) {
	for _, e := range classifiers() {
		t.Run(e.name, func(t *testing.T) {
			got, err := Params(e.name)
			if err != nil {
				t.Fatal(err)
			}
			rel := math.Abs(float64(got-e.published)) / float64(e.published)
			t.Logf("%s: %d parameters, published %d (%+.2f%%)", e.name, got, e.published, 100*float64(got-e.published)/float64(e.published))
			if rel > 0.01 {
				t.Errorf("%s has %d parameters, published %d: off by %.2f%%", e.name, got, e.published, 100*rel)
			}
		})
	}
}
