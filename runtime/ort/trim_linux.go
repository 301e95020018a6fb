//go:build linux && cgo

package ort

/*
#include <malloc.h>
*/
import "C"

// releaseFreedMemory returns the C heap's free pages to the kernel
// (glibc's malloc_trim). ONNX Runtime allocates weights and arenas with
// malloc; after a session is destroyed glibc keeps much of that memory for
// reuse, so without trimming the next load's resident-memory growth would
// understate what it takes. The Loader trims before a measured load only:
// a load without warm-up reuses the freed memory, since faulting fresh
// pages in is most of what a first run costs more than a warm one
// (docs/miss-path.md).
func releaseFreedMemory() { C.malloc_trim(0) }
