package nvml

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProbeWithoutLibrary(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{"missing file", filepath.Join(t.TempDir(), "libnvidia-ml.so.1")},
		{"not a library", writeFile(t, "not an ELF file")},
		{"unknown name", "libnvidia-ml-does-not-exist.so.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Probe(Config{LibraryPath: tt.path})
			if r.Count() != 0 || r.Reason == "" {
				t.Fatalf("report %+v, want no GPU with a reason", r)
			}
			if !strings.Contains(r.Reason, tt.path) || !strings.HasPrefix(r.String(), "no GPU: ") {
				t.Errorf("reason %q does not name the library %s", r.Reason, tt.path)
			}
		})
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "libnvidia-ml.so.1")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProbeDefault probes the real machine: no GPU here (with a reason),
// GPUs with sane memory numbers on a GPU host.
func TestProbeDefault(t *testing.T) {
	r := Probe(DefaultConfig())
	t.Logf("probe: %s", r)
	if (r.Count() == 0) == (r.Reason == "") {
		t.Fatalf("report %+v: a reason must be given exactly when no GPU is found", r)
	}
	for _, g := range r.GPUs {
		if g.Name == "" || g.MemoryTotalBytes == 0 || g.MemoryUsedBytes+g.MemoryFreeBytes > g.MemoryTotalBytes {
			t.Errorf("implausible GPU %+v", g)
		}
	}
	if want := os.Getenv("EDGESERVE_EXPECT_GPUS"); want != "" && want != "0" && r.Count() == 0 {
		t.Errorf("EDGESERVE_EXPECT_GPUS=%s but probe found none: %s", want, r.Reason)
	}
}
