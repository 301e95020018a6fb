// The members of ONNX Runtime's C API table used by ortlog.c and
// arenastats.c.
#ifndef EDGESERVE_ORTAPI_H
#define EDGESERVE_ORTAPI_H

// OrtApi is a table of function pointers that ONNX Runtime only ever
// appends to (its C API's ABI promise), so a member's index is fixed. These
// are the members used here, as numbered in onnxruntime_c_api.h.
enum {
	apiGetErrorMessage = 2,
	apiCreateEnvWithCustomLogger = 4,
	apiCreateSessionFromArray = 8,
	apiCreateSessionOptions = 10,
	apiSetIntraOpNumThreads = 24,
	apiSetInterOpNumThreads = 25,
	apiCreateCpuMemoryInfo = 69,
	apiReleaseStatus = 93,
	apiReleaseMemoryInfo = 94,
	apiReleaseSessionOptions = 100,
	apiAddSessionConfigEntry = 130,
	apiCreateAllocator = 131,
	apiGetKeyValue = 297,
	apiReleaseKeyValuePairs = 300,
	apiAllocatorGetStats = 319,
};

// apiStatsVersion is the first C API version with every member above
// (AllocatorGetStats came last, in ONNX Runtime 1.23).
#define apiStatsVersion 23

typedef void (*anyFunc)(void);

// Set by edgeserve_ort_env (ortlog.c): the environment, and the API table
// of apiStatsVersion (NULL when the library is older).
extern void *edgeserve_env;
extern const anyFunc *edgeserve_api;

#endif
