// Creates ONNX Runtime's process environment with a logging function that
// forwards every message to Go (logsink.go). See ortlog.c.
#ifndef EDGESERVE_ORTLOG_H
#define EDGESERVE_ORTLOG_H

// edgeserve_ort_env returns NULL on success, else an error message the
// caller frees.
char *edgeserve_ort_env(const char *library, int severity);

#endif
