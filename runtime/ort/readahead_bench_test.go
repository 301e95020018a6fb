package ort

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/onnxpb"
)

// BenchmarkMissReadahead asks whether reading the prepared form's weights
// ahead (posix_fadvise WILLNEED, started with the session's creation)
// shortens a miss: the fast load without warm-up plus the first run, with
// the weights in the page cache ("warm") and evicted from it first with
// posix_fadvise DONTNEED ("cold"). The four variants run in turn in every
// iteration; it reports each one's median in milliseconds. Model:
// $EDGESERVE_BENCH_MODEL (default mobilenet_v1_0.5). Load does not read
// ahead: this measured no clear gain (docs/miss-path.md).
func BenchmarkMissReadahead(b *testing.B) {
	name := os.Getenv(benchModelEnv)
	if name == "" {
		name = "mobilenet_v1_0.5"
	}
	l := newTestLoader(b, false)
	out, err := l.Prepare(context.Background(), zooModel(b, name), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	weights := preparedWeights(b, out)
	variants := []struct {
		name            string
		cold, readahead bool
	}{{"warm", false, false}, {"warm+readahead", false, true}, {"cold", true, false}, {"cold+readahead", true, true}}
	took := make([][]time.Duration, len(variants))
	for range b.N {
		for i, v := range variants {
			if v.cold {
				if err := fadvise(weights, unix.FADV_DONTNEED); err != nil {
					b.Fatal(err)
				}
			}
			took[i] = append(took[i], missOnce(b, l, out, weights, v.readahead))
		}
	}
	for i, v := range variants {
		slices.Sort(took[i])
		b.ReportMetric(float64(took[i][len(took[i])/2].Microseconds())/1e3, v.name+"-ms")
	}
}

// missOnce is a fast load without warm-up and the first run.
func missOnce(b *testing.B, l *Loader, path, weights string, readahead bool) time.Duration {
	start := time.Now()
	if readahead {
		go fadvise(weights, unix.FADV_WILLNEED) //nolint:errcheck // no read-ahead is a slower variant, not a failure
	}
	m, err := l.loadFile("bench", path, modePrepared, false)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Run(context.Background(), []runtime.Tensor{randomInput(m.Signature().Inputs[0], 1)}); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func fadvise(path string, advice int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Fadvise(int(f.Fd()), 0, 0, advice)
}

// preparedWeights is the weights file a prepared graph points at.
func preparedWeights(b *testing.B, graph string) string {
	m, err := readModel(graph)
	if err != nil {
		b.Fatal(err)
	}
	var loc string
	_ = eachInitializer(m.GetGraph(), func(t *onnxpb.TensorProto) error {
		if r, ext, _ := externalRefOf(t); ext {
			loc = r.location
		}
		return nil
	})
	if loc == "" {
		b.Fatal("no external weights")
	}
	return filepath.Join(filepath.Dir(graph), loc)
}
