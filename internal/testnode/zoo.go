package testnode

import (
	"path/filepath"
	"testing"

	"github.com/edgeserve/edgeserve/runtime/zoo"
)

// ZooFile writes the zoo model name (seeded, so always the same bytes)
// into a temporary directory and returns its path.
func ZooFile(t testing.TB, name string) string {
	t.Helper()
	dir := t.TempDir()
	m, err := zoo.Write(dir, name, zoo.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, m.File)
}
