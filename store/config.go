package store

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Config holds the store's settings. Start from DefaultConfig.
type Config struct {
	// Dir is the node's data directory; it is created if missing.
	Dir string
	// QuotaBytes bounds the bytes held in blobs (including writes in
	// progress). Zero means no quota beyond the file system's free space.
	QuotaBytes int64
	// ReserveBytes is the free space the file system must keep after a
	// write; an import that would eat into it fails with ErrDiskFull.
	ReserveBytes int64
	// MaxModelBytes bounds one model's size; larger ones fail with ErrTooLarge.
	MaxModelBytes int64
	// StatfsEveryBytes is how often, in streamed bytes, the file system's
	// free space is checked again during a write.
	StatfsEveryBytes int64
	// UploadMaxAge is how long an abandoned resumable upload is kept: one
	// idle that long is aborted (its reservation released, its bytes
	// removed) at the next BeginUpload or GC, and start-up reconciliation
	// removes older ones left by earlier runs.
	UploadMaxAge time.Duration
	// GCGrace is how long GC keeps an unreferenced blob after it was
	// written, so that a blob ingested from a peer survives until its
	// record arrives. Blobs whose record Delete removed, and orphans Open
	// found, go at the next GC. (Commits in progress are kept whatever
	// their age.)
	GCGrace time.Duration
	// BoltTimeout bounds the wait for the catalog file's lock at Open.
	BoltTimeout time.Duration
}

// DefaultConfig returns settings for a node with data in dir.
func DefaultConfig(dir string) Config {
	return Config{
		Dir:              dir,
		QuotaBytes:       0,
		ReserveBytes:     512 << 20,
		MaxModelBytes:    32 << 30,
		StatfsEveryBytes: 64 << 20,
		UploadMaxAge:     24 * time.Hour,
		GCGrace:          15 * time.Minute,
		BoltTimeout:      5 * time.Second,
	}
}

func (c Config) validate() error {
	switch {
	case c.Dir == "":
		return errors.New("store: config: Dir is empty")
	case c.QuotaBytes < 0 || c.ReserveBytes < 0:
		return fmt.Errorf("store: config: negative QuotaBytes %d or ReserveBytes %d", c.QuotaBytes, c.ReserveBytes)
	case c.MaxModelBytes <= 0:
		return fmt.Errorf("store: config: MaxModelBytes %d must be positive", c.MaxModelBytes)
	case c.StatfsEveryBytes <= 0:
		return fmt.Errorf("store: config: StatfsEveryBytes %d must be positive", c.StatfsEveryBytes)
	case c.GCGrace < 0:
		return fmt.Errorf("store: config: GCGrace %v is negative", c.GCGrace)
	case c.UploadMaxAge <= 0 || c.BoltTimeout <= 0:
		return errors.New("store: config: UploadMaxAge and BoltTimeout must be positive")
	}
	return nil
}

// Deps are the store's collaborators, kept apart from settings.
type Deps struct {
	// Logger receives start-up and GC summaries; nil means zap.NewNop().
	Logger *zap.Logger
	// Now is the clock for record times; nil means time.Now.
	Now func() time.Time
	// Faults injects failures into the write path (tests only); nil in
	// production.
	Faults FaultFunc
}

func (d Deps) withDefaults() Deps {
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return d
}
