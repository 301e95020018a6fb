package testutil

import (
	"os"
	"testing"
)

// ORTLibraryEnv names the ONNX Runtime shared library (`make setup`
// installs it; the Makefile exports the variable).
const ORTLibraryEnv = "EDGESERVE_ORT_LIB"

// RequireORTEnv, set to 1 (as `make test` does), turns a missing ONNX
// Runtime library from a skip into a failure, so that the full test run
// cannot pass while skipping every real-model test.
const RequireORTEnv = "EDGESERVE_REQUIRE_ORT"

// ORTLibraryPath is the library named by $EDGESERVE_ORT_LIB, or "" when it
// is unset. For TestMain, which has no t; tests call ORTLibrary.
func ORTLibraryPath() string { return os.Getenv(ORTLibraryEnv) }

// ORTRequired reports whether a missing library must fail the tests.
func ORTRequired() bool { return os.Getenv(RequireORTEnv) == "1" }

// ORTLibrary returns the ONNX Runtime library path for a test that needs
// the real runtime. Without one it fails t under `make test`
// ($EDGESERVE_REQUIRE_ORT=1) and skips t elsewhere, saying how to get it.
func ORTLibrary(t testing.TB) string {
	t.Helper()
	lib := ORTLibraryPath()
	if lib != "" {
		return lib
	}
	const why = ORTLibraryEnv + " is not set: run `make setup` and export " + ORTLibraryEnv +
		" (`make test` does both)"
	if ORTRequired() {
		t.Fatal("ONNX Runtime is required (" + RequireORTEnv + "=1): " + why)
	}
	t.Skip("skipping: needs ONNX Runtime; " + why)
	return ""
}
