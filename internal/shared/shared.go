// Package shared finds the project's shared data (measured profiles,
// reference texts, traces): a directory that lives beside the checkout,
// not in it, so that every checkout and worktree of one machine uses one
// copy. $EDGESERVE_SHARED names it; otherwise it is the directory `shared`
// next to the module root (the directory holding go.mod) found by walking
// up from the working directory.
package shared

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Env is the environment variable that names the shared data directory.
const Env = "EDGESERVE_SHARED"

// ErrNotFound: the shared data, or a file in it, is not on this machine.
var ErrNotFound = errors.New("shared: data not found")

// Dir returns the shared data directory: $EDGESERVE_SHARED when set, else
// `shared` beside the module root above the working directory. The error
// wraps ErrNotFound and says where it looked.
func Dir() (string, error) {
	if dir := os.Getenv(Env); dir != "" {
		if err := isDir(dir); err != nil {
			return "", fmt.Errorf("%w: $%s=%s: %w", ErrNotFound, Env, dir, err)
		}
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("shared: working directory: %w", err)
	}
	root, ok := moduleRoot(wd)
	if !ok {
		return "", fmt.Errorf("%w: $%s is unset and no go.mod is above %s to find the checkout by; set %s to the shared directory",
			ErrNotFound, Env, wd, Env)
	}
	dir := filepath.Join(filepath.Dir(root), "shared")
	if err := isDir(dir); err != nil {
		return "", fmt.Errorf("%w: $%s is unset and %s (beside the checkout %s) is not there: %w; set %s to the shared directory",
			ErrNotFound, Env, dir, root, err, Env)
	}
	return dir, nil
}

// File returns the path of rel (slash-separated) in the shared data,
// checking that it exists. The error wraps ErrNotFound and names the path.
func File(rel string) (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w: %s (shared directory %s, from $%s or beside the checkout): %w", ErrNotFound, rel, dir, Env, err)
	}
	return p, nil
}

// moduleRoot is the nearest directory at or above dir holding go.mod.
func moduleRoot(dir string) (string, bool) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", false
		}
		dir = up
	}
}

func isDir(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", p)
	}
	return nil
}
