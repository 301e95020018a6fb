package shared

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// layout makes root/checkout/go.mod, root/checkout/a/b and, when withShared,
// root/shared/profiles/x.json; it returns root.
func layout(t *testing.T, withShared bool) string {
	t.Helper()
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "checkout", "go.mod"), "module example.com/x\n")
	if err := os.MkdirAll(filepath.Join(root, "checkout", "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if withShared {
		mustWrite(t, filepath.Join(root, "shared", "profiles", "x.json"), "[]")
	}
	return root
}

func mustWrite(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFileBesideTheCheckout(t *testing.T) {
	root := layout(t, true)
	t.Setenv(Env, "")
	t.Chdir(filepath.Join(root, "checkout", "a", "b"))
	p, err := File("profiles/x.json")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "shared", "profiles", "x.json"); !sameFile(t, p, want) {
		t.Fatalf("File = %s, want %s", p, want)
	}
}

func TestFileFromEnv(t *testing.T) {
	root := layout(t, true)
	elsewhere := t.TempDir() // no go.mod above: only the variable can find it
	mustWrite(t, filepath.Join(elsewhere, "data", "reference", "r.txt"), "r")
	t.Setenv(Env, filepath.Join(elsewhere, "data"))
	t.Chdir(filepath.Join(root, "checkout"))
	p, err := File("reference/r.txt")
	if err != nil || p != filepath.Join(elsewhere, "data", "reference", "r.txt") {
		t.Fatalf("File = %q, %v", p, err)
	}
}

// TestMissingSaysWhere: every way of not finding the data is ErrNotFound
// with a message naming the place looked at and the variable.
func TestMissingSaysWhere(t *testing.T) {
	tests := []struct {
		name, env, cwd, rel string
		wantIn              []string
	}{
		{"no shared beside the checkout", "", "checkout/a", "profiles/x.json", []string{"shared", Env, "checkout"}},
		{"env names a missing directory", "nope", "checkout", "profiles/x.json", []string{"nope", Env}},
		{"file missing in shared", "", "checkout", "profiles/y.json", []string{"profiles/y.json", Env}},
		{"no checkout", "", ".", "profiles/x.json", []string{"go.mod", Env}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := layout(t, tt.name == "file missing in shared")
			env := tt.env
			if env != "" {
				env = filepath.Join(root, env)
			}
			t.Setenv(Env, env)
			t.Chdir(filepath.Join(root, tt.cwd))
			_, err := File(tt.rel)
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}
