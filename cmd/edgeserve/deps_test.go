package main

import (
	"go/build"
	"strings"
	"testing"
)

// TestCLIDoesNotImportNode: the CLI reaches nodes through the client
// package only; the node package (and what only it needs) stays out of its
// build. node/codec, the tensor codec, is allowed.
func TestCLIDoesNotImportNode(t *testing.T) {
	const module = "github.com/edgeserve/edgeserve/"
	seen := map[string]bool{}
	var walk func(path, from string)
	walk = func(path, from string) {
		if seen[path] {
			return
		}
		seen[path] = true
		if path == module+"node" {
			t.Errorf("the CLI imports node (through %s)", from)
			return
		}
		pkg, err := build.Import(path, ".", 0)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			if strings.HasPrefix(imp, module) {
				walk(imp, path)
			}
		}
	}
	walk(module+"cmd/edgeserve", "")
}
