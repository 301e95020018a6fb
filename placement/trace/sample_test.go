package trace

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFindAzureSample(t *testing.T) {
	root := t.TempDir()
	sample := filepath.Join(root, "shared", filepath.FromSlash(SampleDir))
	work := filepath.Join(root, "checkout", "placement", "trace")
	for _, d := range []string{sample, work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "checkout", "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(SampleEnv, "")
	t.Setenv("EDGESERVE_SHARED", "")
	t.Chdir(work)
	if _, err := FindAzureSample(); !errors.Is(err, ErrNoSample) {
		t.Fatalf("without the file: %v, want ErrNoSample", err)
	}
	if err := os.WriteFile(filepath.Join(sample, SampleFile), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := FindAzureSample()
	if err != nil || got != sample {
		t.Fatalf("FindAzureSample = %q, %v; want %q", got, err, sample)
	}
	t.Setenv(SampleEnv, "/elsewhere")
	if got, _ := FindAzureSample(); got != "/elsewhere" {
		t.Fatalf("with %s set: %q", SampleEnv, got)
	}
}
