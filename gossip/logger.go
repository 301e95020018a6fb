package gossip

import (
	"bytes"
	"log"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// memberlistLogger routes memberlist's log lines ("[LEVEL] memberlist:
// ...") to zap at their own level.
func memberlistLogger(l *zap.Logger) *log.Logger {
	return log.New(levelWriter{l.Named("memberlist")}, "", 0)
}

type levelWriter struct{ l *zap.Logger }

func (w levelWriter) Write(p []byte) (int, error) {
	line := bytes.TrimSpace(p)
	lvl := zapcore.DebugLevel
	for prefix, l := range map[string]zapcore.Level{"[ERR]": zapcore.ErrorLevel, "[WARN]": zapcore.WarnLevel, "[INFO]": zapcore.InfoLevel} {
		if bytes.HasPrefix(line, []byte(prefix)) {
			lvl = l
			line = bytes.TrimSpace(line[len(prefix):])
			break
		}
	}
	if ce := w.l.Check(lvl, string(line)); ce != nil {
		ce.Write()
	}
	return len(p), nil
}
