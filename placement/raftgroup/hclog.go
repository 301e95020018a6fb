package raftgroup

import (
	"fmt"
	"io"
	"log"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zapio"
)

// zapHclog is hashicorp's logger interface (what raft logs through) on
// top of zap: levels map one to one (trace to debug), key/value
// arguments become fields.
type zapHclog struct {
	z       *zap.Logger
	name    string
	implied []any
}

var _ hclog.Logger = (*zapHclog)(nil)

func newHclog(z *zap.Logger, name string) hclog.Logger {
	return &zapHclog{z: z.Named(name), name: name}
}

func zapLevel(l hclog.Level) zapcore.Level {
	switch l {
	case hclog.Trace, hclog.Debug:
		return zapcore.DebugLevel
	case hclog.Warn:
		return zapcore.WarnLevel
	case hclog.Error:
		return zapcore.ErrorLevel
	}
	return zapcore.InfoLevel
}

func (l *zapHclog) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off {
		return
	}
	if ce := l.z.Check(zapLevel(level), msg); ce != nil {
		ce.Write(fields(args)...)
	}
}

// fields turns hclog's key/value arguments into zap fields.
func fields(args []any) []zap.Field {
	out := make([]zap.Field, 0, (len(args)+1)/2)
	for i := 0; i < len(args); i += 2 {
		if i+1 == len(args) {
			out = append(out, zap.Any("extra", args[i]))
			break
		}
		out = append(out, zap.Any(fmt.Sprint(args[i]), args[i+1]))
	}
	return out
}

func (l *zapHclog) Trace(msg string, args ...any) { l.Log(hclog.Trace, msg, args...) }
func (l *zapHclog) Debug(msg string, args ...any) { l.Log(hclog.Debug, msg, args...) }
func (l *zapHclog) Info(msg string, args ...any)  { l.Log(hclog.Info, msg, args...) }
func (l *zapHclog) Warn(msg string, args ...any)  { l.Log(hclog.Warn, msg, args...) }
func (l *zapHclog) Error(msg string, args ...any) { l.Log(hclog.Error, msg, args...) }

func (l *zapHclog) enabled(lv hclog.Level) bool { return l.z.Core().Enabled(zapLevel(lv)) }
func (l *zapHclog) IsTrace() bool               { return l.enabled(hclog.Trace) }
func (l *zapHclog) IsDebug() bool               { return l.enabled(hclog.Debug) }
func (l *zapHclog) IsInfo() bool                { return l.enabled(hclog.Info) }
func (l *zapHclog) IsWarn() bool                { return l.enabled(hclog.Warn) }
func (l *zapHclog) IsError() bool               { return l.enabled(hclog.Error) }

func (l *zapHclog) ImpliedArgs() []any { return l.implied }

func (l *zapHclog) With(args ...any) hclog.Logger {
	return &zapHclog{z: l.z.With(fields(args)...), name: l.name, implied: append(append([]any{}, l.implied...), args...)}
}

func (l *zapHclog) Name() string { return l.name }

func (l *zapHclog) Named(name string) hclog.Logger {
	return &zapHclog{z: l.z.Named(name), name: l.name + "." + name, implied: l.implied}
}

func (l *zapHclog) ResetNamed(name string) hclog.Logger {
	return &zapHclog{z: l.z.Named(name), name: name, implied: l.implied}
}

// SetLevel does nothing: the zap logger's level rules.
func (l *zapHclog) SetLevel(hclog.Level) {}

func (l *zapHclog) GetLevel() hclog.Level {
	for _, lv := range []hclog.Level{hclog.Debug, hclog.Info, hclog.Warn, hclog.Error} {
		if l.enabled(lv) {
			return lv
		}
	}
	return hclog.Off
}

func (l *zapHclog) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(l.StandardWriter(opts), "", 0)
}

func (l *zapHclog) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return &zapio.Writer{Log: l.z, Level: zapcore.InfoLevel}
}
