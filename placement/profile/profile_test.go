package profile

import (
	"bufio"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/shared"
)

const ms = time.Millisecond

func open(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestReadBench(t *testing.T) {
	tests := []struct {
		path LoadPath
		want []Model
	}{
		// mobilenet: load 20 + first run 15 - warm 11; vgg16: memory not
		// measured, so file size; its first run is faster than the warm
		// median, which adds nothing.
		{LoadDefault, []Model{
			{Name: "mobilenet", SizeBytes: 20_000_000, LoadTime: 24 * ms, RunTime: 11 * ms},
			{Name: "vgg16", SizeBytes: 553_000_000, LoadTime: 1360 * ms, RunTime: 300 * ms},
		}},
		{LoadFast, []Model{
			{Name: "mobilenet", SizeBytes: 20_000_000, LoadTime: 2800 * time.Microsecond, RunTime: 11 * ms},
			{Name: "vgg16", SizeBytes: 553_000_000, LoadTime: 2300 * time.Microsecond, RunTime: 300 * ms},
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.path), func(t *testing.T) {
			got, err := ReadBench(open(t, "testdata/bench.json"), tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func benchDoc(model string) string {
	return `{"models":[` + model + `]}`
}

const okModel = `{"name":"m","memory_bytes":10,"load_ms":{"default":{"median":1}},"first_run_ms":{"median":1},"warm_run_ms":{"median":1}}`

func TestReadBenchMalformed(t *testing.T) {
	tests := map[string]string{
		"empty":          "",
		"not json":       "models",
		"trailing":       benchDoc(okModel) + " x",
		"two values":     benchDoc(okModel) + benchDoc(okModel),
		"no models":      `{"models":[]}`,
		"models wrong":   `{"models":{}}`,
		"no name":        benchDoc(strings.Replace(okModel, `"name":"m"`, `"name":""`, 1)),
		"duplicate":      benchDoc(okModel + "," + okModel),
		"no size":        benchDoc(strings.Replace(okModel, `"memory_bytes":10`, `"memory_bytes":0`, 1)),
		"no path":        benchDoc(strings.Replace(okModel, `"default"`, `"slow"`, 1)),
		"negative load":  benchDoc(strings.Replace(okModel, `"default":{"median":1}`, `"default":{"median":-1}`, 1)),
		"absurd load":    benchDoc(strings.Replace(okModel, `"default":{"median":1}`, `"default":{"median":1e300}`, 1)),
		"no warm":        benchDoc(strings.Replace(okModel, `"warm_run_ms":{"median":1}`, `"warm_run_ms":{}`, 1)),
		"no first run":   benchDoc(strings.Replace(okModel, `"first_run_ms":{"median":1},`, ``, 1)),
		"first run type": benchDoc(strings.Replace(okModel, `"first_run_ms":{"median":1}`, `"first_run_ms":"x"`, 1)),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadBench(strings.NewReader(in), LoadDefault); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	if _, err := ReadBench(strings.NewReader(benchDoc(okModel)), LoadDefault); err != nil {
		t.Fatalf("the well-formed base document fails: %v", err)
	}
}

func TestReadM5(t *testing.T) {
	got, err := ReadM5(open(t, "testdata/m5.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Model{
		{Name: "DenseNet121", SizeBytes: 33_000_000, LoadTime: 7500 * ms, RunTime: 250 * ms},
		{Name: "VGG16", SizeBytes: 528_000_000, LoadTime: 2 * ms, RunTime: 1 * ms},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestReadM5Malformed(t *testing.T) {
	const ok = `{"name":"VGG16","avg_load_latency":1,"avg_exec_latency":1}`
	tests := map[string]string{
		"empty":         "",
		"empty array":   "[]",
		"object":        "{}",
		"unknown model": `[{"name":"AlexNet","avg_load_latency":1,"avg_exec_latency":1}]`,
		"no name":       `[{"avg_load_latency":1,"avg_exec_latency":1}]`,
		"no load":       `[{"name":"VGG16","avg_exec_latency":1}]`,
		"negative":      `[{"name":"VGG16","avg_load_latency":-1,"avg_exec_latency":1}]`,
		"string number": `[{"name":"VGG16","avg_load_latency":"1","avg_exec_latency":1}]`,
		"duplicate":     "[" + ok + "," + ok + "]",
		"trailing":      "[" + ok + "]]",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadM5(strings.NewReader(in)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

// TestReadM5SharedFile reads the real CremeBrulee file when it is present:
// every one of its 26 models must have a published size.
func TestReadM5SharedFile(t *testing.T) {
	f := openShared(t, M5SharedFile)
	models, err := ReadM5(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(models) != 26 {
		t.Fatalf("%d models, want 26", len(models))
	}
}

// TestPosterMatchesReference checks the embedded Table I against the
// poster's text when it is present.
func TestPosterMatchesReference(t *testing.T) {
	models := Poster()
	if len(models) != 11 {
		t.Fatalf("%d models, want 11", len(models))
	}
	f := openShared(t, "reference/edgeserve-poster.txt")
	rows := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 6 || !strings.Contains(cols[2], "±") {
			continue
		}
		m := models[rows]
		hit, miss, size := leading(t, cols[2]), leading(t, cols[3]), leading(t, cols[4])
		if m.RunTime != msDuration(hit) || m.LoadTime != msDuration(miss-hit) || m.SizeBytes != megabytes(size) {
			t.Errorf("row %q: got %+v, poster says hit %v miss %v size %v", cols[0], m, hit, miss, size)
		}
		rows++
	}
	if rows != 11 {
		t.Fatalf("found %d rows in the poster, want 11", rows)
	}
}

func leading(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.Fields(s)[0], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLoad(t *testing.T) {
	if got, err := Load("poster", LoadDefault); err != nil || len(got) != 11 {
		t.Fatalf("poster: %d models, %v", len(got), err)
	}
	zoo, err := Load("zoo", LoadFast)
	if err != nil || len(zoo) != 13 {
		t.Fatalf("zoo: %d models, %v; want the 13 measured Table I models", len(zoo), err)
	}
	for _, m := range zoo {
		if m.SizeBytes <= 0 || m.LoadTime <= 0 || m.RunTime <= 0 {
			t.Errorf("zoo profile %+v has a non-positive field", m)
		}
	}
	bench, err := Load("testdata/bench.json", LoadFast)
	if err != nil || len(bench) != 2 || bench[0].LoadTime != 2800*time.Microsecond {
		t.Fatalf("bench file: %+v, %v", bench, err)
	}
	m5, err := Load("testdata/m5.json", LoadFast)
	if err != nil || len(m5) != 2 {
		t.Fatalf("m5 file: %+v, %v", m5, err)
	}
	if _, err := Load("testdata/missing.json", LoadFast); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: err = %v", err)
	}
	if _, err := Read(strings.NewReader("  x"), LoadFast); !errors.Is(err, ErrMalformed) {
		t.Fatalf("neither format: err = %v", err)
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"testdata/bench.json", "testdata/m5.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(benchDoc(okModel))
	f.Fuzz(func(t *testing.T, in string) {
		models, err := Read(strings.NewReader(in), LoadDefault)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		for _, m := range models {
			if m.Name == "" || m.SizeBytes <= 0 || m.LoadTime < 0 || m.RunTime < 0 {
				t.Fatalf("accepted an invalid model %+v", m)
			}
		}
	})
}

// openShared opens a file of the shared data, closed at cleanup. The test
// skips, saying where it looked, only when the data is not on this machine.
func openShared(t *testing.T, rel string) *os.File {
	t.Helper()
	p, err := shared.File(rel)
	if errors.Is(err, shared.ErrNotFound) {
		t.Skipf("shared data not present (set %s or put it at ../shared beside the checkout): %v", shared.Env, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestLoadM5FindsSharedData: "m5" is found through $EDGESERVE_SHARED (or
// beside the checkout), never at a fixed machine path; when it is not
// there the error says where it looked and which variable to set.
func TestLoadM5FindsSharedData(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(shared.Env, dir)
	_, err := Load("m5", LoadDefault)
	if !errors.Is(err, shared.ErrNotFound) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), shared.Env) {
		t.Fatalf("m5 without shared data: err = %v, want shared.ErrNotFound naming %s and %s", err, dir, shared.Env)
	}
	data, err := os.ReadFile("testdata/m5.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir+"/profiles", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/"+M5SharedFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if m5, err := Load("m5", LoadDefault); err != nil || len(m5) != 2 {
		t.Fatalf("m5 from $%s: %d models, %v; want the 2 of testdata/m5.json", shared.Env, len(m5), err)
	}
}
