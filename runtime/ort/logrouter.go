package ort

import (
	"os"
	"slices"
	"strings"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// loggingLevel is ONNX Runtime's OrtLoggingLevel.
type loggingLevel int

const (
	ortVerbose loggingLevel = iota
	ortInfo
	ortWarning
	ortError
	ortFatal
)

// ortLogLevel is the least severe message ONNX Runtime passes on. Its info
// level describes every session's creation in several lines; warnings are
// what an operator acts on.
const ortLogLevel = ortWarning

func (l loggingLevel) zapLevel() zapcore.Level {
	switch l {
	case ortVerbose:
		return zapcore.DebugLevel
	case ortInfo:
		return zapcore.InfoLevel
	case ortWarning:
		return zapcore.WarnLevel
	}
	return zapcore.ErrorLevel // fatal too: zap's own fatal level would exit
}

// runFailurePrefix starts the error ONNX Runtime logs when a run fails. The
// same error is returned to the caller, which reports it; logging it again
// at error level would write a line per bad request into the node's log,
// so it goes at debug level.
const runFailurePrefix = "Non-zero status code returned while running"

// messageLevel is the zap level of one ONNX Runtime message.
func messageLevel(l loggingLevel, msg string) zapcore.Level {
	if strings.HasPrefix(msg, runFailurePrefix) {
		return zapcore.DebugLevel
	}
	return l.zapLevel()
}

// logRouter is where ONNX Runtime's messages go. The environment, and so
// its logging function, is one per process while loaders come and go (one
// per node, several nodes in a test process): messages go to the logger of
// the newest open Loader, or to JSON on stderr when none is open.
type logRouter struct {
	mu       sync.Mutex    // guards the fields below
	loggers  []*zap.Logger // of open loaders, oldest first
	fallback *zap.Logger   // built on first use
}

// add makes log the destination until remove(log).
func (r *logRouter) add(log *zap.Logger) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loggers = append(r.loggers, log)
}

// remove forgets one registration of log.
func (r *logRouter) remove(log *zap.Logger) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := slices.Index(r.loggers, log); i >= 0 {
		r.loggers = slices.Delete(r.loggers, i, i+1)
	}
}

func (r *logRouter) current() *zap.Logger {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.loggers); n > 0 {
		return r.loggers[n-1]
	}
	if r.fallback == nil {
		enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
		r.fallback = zap.New(zapcore.NewCore(enc, zapcore.Lock(os.Stderr), ortLogLevel.zapLevel())).Named(loggerName)
	}
	return r.fallback
}

// loggerName names ONNX Runtime's messages in the node's log.
const loggerName = "onnxruntime"
