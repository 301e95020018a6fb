//go:build !windows

package ort

/*
#include <stdlib.h>
#include "arenastats.h"
*/
import "C"

import (
	"errors"
	"unsafe"

	"google.golang.org/protobuf/proto"
)

// arenaStats are the shared arena's figures, in bytes.
type arenaStats struct {
	// total is what the arena holds from the C heap, in use or free.
	total int64
	// inUse is what it has handed out now: runs in progress, and any
	// allocation a session keeps.
	inUse int64
	// allocs counts the allocations it has served.
	allocs int64
}

// startArenaProbe makes the session through which sharedArenaStats reads
// the shared arena (arenastats.c). It runs once, after registerSharedArena.
func startArenaProbe() error {
	model, err := proto.Marshal(probeModel())
	if err != nil {
		return err
	}
	p := C.CBytes(model)
	defer C.free(p)
	if msg := C.edgeserve_arena_probe(p, C.size_t(len(model))); msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return errors.New("ort: shared arena probe: " + C.GoString(msg))
	}
	return nil
}

// sharedArenaStats reads the shared arena's statistics from ONNX Runtime.
func sharedArenaStats() (arenaStats, error) {
	var total, inUse, allocs C.longlong
	if msg := C.edgeserve_shared_arena_stats(&total, &inUse, &allocs); msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return arenaStats{}, errors.New("ort: shared arena statistics: " + C.GoString(msg))
	}
	return arenaStats{total: int64(total), inUse: int64(inUse), allocs: int64(allocs)}, nil
}
