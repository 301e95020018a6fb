#ifndef EDGESERVE_ARENASTATS_H
#define EDGESERVE_ARENASTATS_H

#include <stddef.h>

// edgeserve_arena_probe makes the probe session from the ONNX model bytes
// (a one-node graph) once the shared arena is registered. It returns NULL on
// success, else an error message the caller frees.
char *edgeserve_arena_probe(const void *model, size_t n);

// edgeserve_shared_arena_stats sets the shared CPU arena's bytes taken from
// the C heap (total), handed out now (in_use) and the allocations it has
// served (allocs); it returns NULL on success, else an error message the
// caller frees.
char *edgeserve_shared_arena_stats(long long *total, long long *in_use, long long *allocs);

#endif
