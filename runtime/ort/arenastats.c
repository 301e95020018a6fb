//go:build !windows

// Reads the statistics of the CPU arena registered with the environment
// (sharedarena.go). ONNX Runtime hands out a registered arena's statistics
// only through a session that uses it, so a probe session of a one-node
// graph is made once, opted into the environment's allocators, and kept
// with its allocator for the life of the process. The members of the C API
// table used are named in ortapi.h.

#include <stdlib.h>
#include <string.h>

#include "ortapi.h"
#include "arenastats.h"

enum { OrtArenaAllocator = 1, OrtMemTypeDefault = 0 };

typedef void *(*createSessionFromArrayFunc)(const void *env, const void *data, size_t n, const void *opts, void **out);
typedef void *(*createSessionOptionsFunc)(void **out);
typedef void *(*setThreadsFunc)(void *opts, int n);
typedef void *(*addConfigEntryFunc)(void *opts, const char *key, const char *value);
typedef void *(*createCpuMemoryInfoFunc)(int type, int mem_type, void **out);
typedef void *(*createAllocatorFunc)(const void *session, const void *info, void **out);
typedef void (*releaseFunc)(void *p);
typedef void *(*allocatorGetStatsFunc)(const void *allocator, void **out);
typedef const char *(*getKeyValueFunc)(const void *kvps, const char *key);
typedef const char *(*errorMessageFunc)(const void *status);

// The probe's allocator: the shared arena as the probe session sees it.
// Set once by edgeserve_arena_probe, under env.go's lock, before any read.
static void *probeAllocator;

static char *statusMessage(void *status) {
	char *msg = strdup(((errorMessageFunc)edgeserve_api[apiGetErrorMessage])(status));
	((releaseFunc)edgeserve_api[apiReleaseStatus])(status);
	return msg;
}

static void *probeOptions(void **opts) {
	void *status = ((createSessionOptionsFunc)edgeserve_api[apiCreateSessionOptions])(opts);
	if (status == NULL) {
		status = ((setThreadsFunc)edgeserve_api[apiSetIntraOpNumThreads])(*opts, 1);
	}
	if (status == NULL) {
		status = ((setThreadsFunc)edgeserve_api[apiSetInterOpNumThreads])(*opts, 1);
	}
	if (status == NULL) {
		status = ((addConfigEntryFunc)edgeserve_api[apiAddSessionConfigEntry])(*opts, "session.use_env_allocators", "1");
	}
	return status;
}

char *edgeserve_arena_probe(const void *model, size_t n) {
	if (edgeserve_env == NULL || edgeserve_api == NULL) {
		return strdup("the library does not serve ONNX Runtime C API version 23");
	}
	void *opts = NULL;
	void *status = probeOptions(&opts);
	void *session = NULL;
	if (status == NULL) {
		status = ((createSessionFromArrayFunc)edgeserve_api[apiCreateSessionFromArray])(edgeserve_env, model, n, opts, &session);
	}
	if (opts != NULL) {
		((releaseFunc)edgeserve_api[apiReleaseSessionOptions])(opts);
	}
	void *info = NULL;
	if (status == NULL) {
		status = ((createCpuMemoryInfoFunc)edgeserve_api[apiCreateCpuMemoryInfo])(OrtArenaAllocator, OrtMemTypeDefault, &info);
	}
	if (status == NULL) {
		status = ((createAllocatorFunc)edgeserve_api[apiCreateAllocator])(session, info, &probeAllocator);
	}
	if (info != NULL) {
		((releaseFunc)edgeserve_api[apiReleaseMemoryInfo])(info);
	}
	// The session is kept, as long as its allocator is used.
	return status == NULL ? NULL : statusMessage(status);
}

static long long statValue(const void *kvps, const char *key) {
	const char *v = ((getKeyValueFunc)edgeserve_api[apiGetKeyValue])(kvps, key);
	return v == NULL ? -1 : atoll(v);
}

char *edgeserve_shared_arena_stats(long long *total, long long *in_use, long long *allocs) {
	if (probeAllocator == NULL) {
		return strdup("no arena probe");
	}
	void *kvps = NULL;
	void *status = ((allocatorGetStatsFunc)edgeserve_api[apiAllocatorGetStats])(probeAllocator, &kvps);
	if (status != NULL) {
		return statusMessage(status);
	}
	*total = statValue(kvps, "TotalAllocated");
	*in_use = statValue(kvps, "InUse");
	*allocs = statValue(kvps, "NumAllocs");
	((releaseFunc)edgeserve_api[apiReleaseKeyValuePairs])(kvps);
	if (*total < 0 || *in_use < 0 || *allocs < 0) {
		return strdup("the arena reports no TotalAllocated, InUse or NumAllocs");
	}
	return NULL;
}
