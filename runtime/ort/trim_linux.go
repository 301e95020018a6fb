//go:build linux && cgo

package ort

/*
#include <malloc.h>
*/
import "C"

// releaseFreedMemory returns the C heap's free pages to the kernel
// (glibc's malloc_trim). ONNX Runtime allocates weights and arenas with
// malloc; after a session is destroyed glibc keeps much of that memory for
// reuse, so without trimming an unloaded model would not give memory back
// to the node's budget, and the next load's resident-memory growth would
// understate what it takes.
func releaseFreedMemory() { C.malloc_trim(0) }
