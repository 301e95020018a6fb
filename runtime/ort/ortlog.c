//go:build !windows

// ONNX Runtime's environment is one per process: whichever creation call
// comes first makes it, and later ones (the binding's CreateEnv) get the
// same one. So creating it here, first, with CreateEnvWithCustomLogger
// gives every message of the process, the binding's sessions included, to
// our logging function instead of ONNX Runtime's coloured stderr printer.

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_cgo_export.h"
#include "ortlog.h"
#include "ortapi.h"

typedef struct {
	const anyFunc *(*GetApi)(uint32_t version);
	const char *(*GetVersionString)(void);
} apiBase;
typedef void (*loggingFunc)(void *param, int severity, const char *category,
                            const char *logid, const char *location, const char *message);
typedef void *(*createEnvFunc)(loggingFunc fn, void *param, int severity,
                               const char *logid, void **env);
typedef const char *(*errorMessageFunc)(const void *status);
typedef void (*releaseStatusFunc)(void *status);

// The environment made here and the API table that serves the shared
// arena's statistics (arenastats.c); set once, before any Go code reads
// them, and never changed.
void *edgeserve_env;
const anyFunc *edgeserve_api;

static void forward(void *param, int severity, const char *category,
                    const char *logid, const char *location, const char *message) {
	(void)param;
	edgeserveORTLog(severity, (char *)category, (char *)logid, (char *)location, (char *)message);
}

char *edgeserve_ort_env(const char *library, int severity) {
	void *lib = dlopen(library, RTLD_LAZY);
	if (lib == NULL) {
		return strdup(dlerror());
	}
	const apiBase *(*getBase)(void) = (const apiBase *(*)(void))dlsym(lib, "OrtGetApiBase");
	if (getBase == NULL) {
		char *msg = strdup(dlerror());
		dlclose(lib);
		return msg;
	}
	// Version 1 has every member used here; any later library serves it.
	const anyFunc *api = getBase()->GetApi(1);
	if (api == NULL) {
		dlclose(lib);
		return strdup("the library does not serve ONNX Runtime C API version 1");
	}
	void *env = NULL;
	void *status = ((createEnvFunc)api[apiCreateEnvWithCustomLogger])(forward, NULL, severity, "edgeserve", &env);
	if (status != NULL) {
		char *msg = strdup(((errorMessageFunc)api[apiGetErrorMessage])(status));
		((releaseStatusFunc)api[apiReleaseStatus])(status);
		dlclose(lib);
		return msg;
	}
	// The library handle and this reference to the environment are kept for
	// the life of the process, like the environment itself (env.go).
	edgeserve_env = env;
	edgeserve_api = getBase()->GetApi(apiStatsVersion);
	return NULL;
}
