//go:build !windows

package ort

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "ortlog.h"
*/
import "C"

import (
	"errors"
	"unsafe"

	"go.uber.org/zap"
)

// createLoggingEnv creates ONNX Runtime's process environment from the
// library at libPath, with a logging function that hands each message to
// environment.logs. It must run before the binding initialises (ortlog.c
// says why).
func createLoggingEnv(libPath string, level loggingLevel) error {
	cPath := C.CString(libPath)
	defer C.free(unsafe.Pointer(cPath))
	msg := C.edgeserve_ort_env(cPath, C.int(level))
	if msg == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(msg))
	return errors.New(C.GoString(msg))
}

// edgeserveORTLog receives one ONNX Runtime log message, on whatever thread
// ONNX Runtime logs from, and writes it to the current logger.
//
//export edgeserveORTLog
func edgeserveORTLog(severity C.int, category, logid, location, message *C.char) {
	log := environment.logs.current()
	msg := C.GoString(message)
	if ce := log.Check(messageLevel(loggingLevel(severity), msg), msg); ce != nil {
		ce.Write(zap.String("category", C.GoString(category)), zap.String("logid", C.GoString(logid)),
			zap.String("location", C.GoString(location)))
	}
}
