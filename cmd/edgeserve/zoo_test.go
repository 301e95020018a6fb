package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/runtime/zoo"
)

// zooCmd runs `edgeserve zoo args...` and returns stdout and stderr.
func zooCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"zoo"}, args...))
	err := root.Execute()
	return out.String(), errOut.String(), err
}

func TestZooCommandGeneratesThenSkips(t *testing.T) {
	dir := t.TempDir()
	_, progress, err := zooCmd(t, "--set", "test", "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := zoo.Names(zoo.SetTest)
	for _, n := range names {
		if _, err := zoo.ReadManifest(filepath.Join(dir, n+".json")); err != nil {
			t.Errorf("%s: %v", n, err)
		}
		if _, err := os.Stat(filepath.Join(dir, n+".onnx")); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if got := strings.Count(progress, "generated"); got != len(names) {
		t.Errorf("first run reported %d generated models, want %d:\n%s", got, len(names), progress)
	}
	_, progress, err = zooCmd(t, "--set", "test", "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(progress, "up to date"); got != len(names) {
		t.Errorf("second run reported %d up-to-date models, want %d:\n%s", got, len(names), progress)
	}
}

func TestZooCommandModelsFlag(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := zooCmd(t, "--models", "tiny_mlp,add_int64", "--seed", "9", "--out", dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("wrote %d files, want 2 models and 2 manifests", len(entries))
	}
	m, err := zoo.ReadManifest(filepath.Join(dir, "tiny_mlp.json"))
	if err != nil || m.Seed != 9 {
		t.Errorf("manifest %+v, err %v; want seed 9", m, err)
	}
}

func TestZooCommandErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"--set", "test"}, "--out"},
		{"unknown set", []string{"--set", "huge", "--out", t.TempDir()}, "unknown set"},
		{"unknown model", []string{"--models", "alexnet", "--out", t.TempDir()}, "unknown model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := zooCmd(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestZooCommandList(t *testing.T) {
	out, _, err := zooCmd(t, "--list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"vgg16", "138357544", "squeezenet1.1", "72.9 top-5", "nasnet_large", "inception_v4", "inception_resnet_v2", "88949818"} {
		if !strings.Contains(out, want) {
			t.Errorf("--list output lacks %q:\n%s", want, out)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{{0, "0 B"}, {999, "999 B"}, {1000, "1.0 kB"}, {4_900_000, "4.9 MB"}, {553_433_881, "553.4 MB"}, {2_500_000_000, "2.5 GB"}}
	for _, tt := range tests {
		if got := humanBytes(tt.n); got != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
