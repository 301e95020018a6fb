package main

import (
	"bytes"
	"testing"
)

// runCLI runs the CLI in-process with args and returns what it wrote to
// stdout; stderr (progress, diagnostics) goes to the test log.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	t.Log(errOut.String())
	return out.String(), err
}
